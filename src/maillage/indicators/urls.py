from django.urls import path

from . import views

app_name = "indicators"

urlpatterns = [
    # Before the portal's « territoires/<id>/ »: « comparer » is not a territory id.
    path("territoires/comparer/", views.compare, name="compare"),
    path("territoires/<str:territory_id>/portrait/", views.portrait, name="portrait"),
    path(
        "territoires/<str:territory_id>/initiatives.geojson",
        views.initiatives_geojson,
        name="initiatives",
    ),
]
