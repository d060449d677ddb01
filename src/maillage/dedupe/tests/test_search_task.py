"""Staff ask for a duplicate search on the review queue page; the worker's task runs it."""

import pytest
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from maillage.catalog.services import create_initiative
from maillage.dedupe.models import DedupeRun
from maillage.dedupe.tasks import find_duplicates


@pytest.mark.django_db
def test_a_search_asked_on_the_queue_page_is_queued_once_then_run_by_the_task(
    referential, admin_client, django_capture_on_commit_callbacks
):
    for name in ("Repair café de Pardies", "Repair Café Pardies"):
        create_initiative(name=name, category="repair-cafe", insee_code="64443")
    page = admin_client.get("/doublons/").content.decode()
    assert "Aucune recherche n'a encore été faite." in page
    assert "Aucun processus de travail n'est actif" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/doublons/rechercher/")
    assert response["Location"] == "/doublons/"
    asked = admin_client.get("/doublons/").content.decode()
    assert "Recherche de doublons mise en file" in asked
    assert "attend son tour" in asked
    assert "Chercher les doublons maintenant" not in asked  # no second request offered
    with django_capture_on_commit_callbacks(execute=True):
        again = admin_client.post("/doublons/rechercher/", follow=True).content.decode()
    assert "attend déjà son tour" in again
    queued = DBTaskResult.objects.filter(task_path=find_duplicates.module_path)
    assert [r.status for r in queued] == [TaskResultStatus.READY]
    assert not DedupeRun.objects.exists()  # the request only queued it

    result = find_duplicates.call()  # what the worker runs
    run = DedupeRun.objects.get()
    assert result["run"] == run.pk
    assert run.initiatives == 2  # it compared the inventory
    page = admin_client.get("/doublons/").content.decode()
    assert "Dernière recherche le" in page


@pytest.mark.django_db
def test_asking_for_a_search_needs_staff_and_a_post(client, admin_client):
    assert client.post("/doublons/rechercher/").status_code == 302  # to the login page
    assert admin_client.get("/doublons/rechercher/").status_code == 405
    assert not DBTaskResult.objects.exists()
