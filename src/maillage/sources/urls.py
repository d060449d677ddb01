from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.index, name="index"),
    path("nouvel-import/", views.new_import, name="new"),
    path("<int:job_id>/", views.job_detail, name="job"),
    path("<int:job_id>/confirmer/", views.job_confirm, name="confirm"),
    path("<int:job_id>/rapport.csv", views.job_report, name="report"),
    path("<int:job_id>/lignes-rejetees.csv", views.job_rejected, name="rejected"),
    path("<int:job_id>/correspondance.json", views.job_mapping, name="mapping"),
]
