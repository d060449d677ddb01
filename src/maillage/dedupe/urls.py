from django.urls import path

from . import views

app_name = "dedupe"

urlpatterns = [
    path("", views.review_queue, name="queue"),
    path("rechercher/", views.search, name="search"),
    path("<int:pair_id>/", views.pair_detail, name="pair"),
    path("<int:pair_id>/decider/", views.pair_decide, name="decide"),
    path("fusions/", views.merges, name="merges"),
    path("fusions/<int:merge_id>/annuler/", views.merge_undo, name="undo"),
    path("groupe/decider/", views.group_decide, name="group-decide"),
    # Former address of the group form (merge only): kept so that an open page still posts.
    path("groupe/fusionner/", views.group_decide, name="group-merge"),
    path("groupe/lot/<slug:batch>/rouvrir/", views.batch_reopen, name="batch-reopen"),
    path("fusions/lot/<slug:batch>/annuler/", views.batch_undo, name="batch-undo"),
]
