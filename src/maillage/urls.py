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
