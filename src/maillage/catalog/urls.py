from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.typology, name="typology"),
    path("typologie.json", views.typology_json, name="typology-json"),
]
