from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("territoires/", views.territory_search, name="search"),
    path("sources/", views.data_sources, name="sources"),
    # Territory ids contain a colon (com:42218): the str converter accepts it as is.
    path("territoires/<str:territory_id>/", views.territory_detail, name="territory"),
    path(
        "territoires/<str:territory_id>/impacts/<slug:indicator>/",
        views.territory_impact,
        name="impact",
    ),
    path(
        "territoires/<str:territory_id>/contour.geojson",
        views.territory_outline,
        name="outline",
    ),
    path(
        "territoires/<str:territory_id>/enfants.geojson",
        views.territory_children_outlines,
        name="children-outlines",
    ),
]
