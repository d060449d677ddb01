from django.contrib import admin
from django.urls import include, path

from maillage.api.api import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("typologie/", include("maillage.catalog.urls")),
    path("imports/", include("maillage.sources.urls")),
    path("doublons/", include("maillage.dedupe.urls")),
    path("", include("maillage.indicators.urls")),
    path("", include("maillage.portal.urls")),
]

# Unknown addresses: the 404 page, or a JSON 404 under /api/ (see maillage.core.handlers).
handler404 = "maillage.core.handlers.page_not_found"
handler400 = "maillage.core.handlers.bad_request"
handler500 = "maillage.core.handlers.server_error"
