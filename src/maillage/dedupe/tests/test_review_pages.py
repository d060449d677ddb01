"""The staff review pages on pairs found among the real bookcase datasets."""

from pathlib import Path

import pytest

from maillage.catalog.models import Initiative
from maillage.dedupe import presenters
from maillage.dedupe.models import DuplicatePair, Merge
from maillage.dedupe.services import run_dedupe
from maillage.sources.harvest import ImportRequest, run_import

ZONELIVRE = ("boites-a-livres-zonelivre", "bookcases.geojson")
BOITE_A_LIRE = ("boites-a-livres-boite-a-lire", "bookcases_boite-a-lire_FR.geojson")


@pytest.fixture
def queued(raw_data: Path) -> None:
    for source, (folder, name) in (("zonelivre", ZONELIVRE), ("boite-a-lire", BOITE_A_LIRE)):
        run_import(ImportRequest(backend="bookcases", path=raw_data / folder / name, source=source))
    run_dedupe()


@pytest.mark.django_db
def test_pages_are_for_staff_only(client):
    response = client.get("/doublons/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.django_db
@pytest.mark.real_data
def test_queue_pair_side_by_side_and_decisions(queued, admin_client):
    queue = admin_client.get("/doublons/")
    assert queue.status_code == 200
    first = presenters.queue().first()
    assert f'href="/doublons/{first.pk}/"' in queue.content.decode()

    page = admin_client.get(f"/doublons/{first.pk}/")
    html = page.content.decode()
    assert first.left.name in html
    assert "Pourquoi cette paire" in html
    assert 'data-key="n"' in html
    twin = admin_client.get(f"/doublons/{first.pk}/?format=json").json()
    assert twin["components"]["parts"]["bias"] < 0

    # Not a duplicate: remembered, and the next pair of the queue comes up.
    answer = admin_client.post(f"/doublons/{first.pk}/decider/", {"decision": "not-duplicate"})
    first.refresh_from_db()
    assert first.status == "not-duplicate"
    following = presenters.queue().first()
    assert answer["Location"] == f"/doublons/{following.pk}/"

    # Merge, keeping fiche B: A is archived into B.
    admin_client.post(
        f"/doublons/{following.pk}/decider/",
        {"decision": "merge", "survivor": str(following.right_id)},
    )
    absorbed = Initiative.objects.get(pk=following.left_id)
    assert absorbed.merged_into_id == following.right_id
    merge = Merge.objects.get(pair=following)
    assert merge.merged_by is not None
    assert not merge.automatic

    # Undo from the merges page.
    assert "Annuler" in admin_client.get("/doublons/fusions/").content.decode()
    admin_client.post(f"/doublons/fusions/{merge.pk}/annuler/")
    absorbed.refresh_from_db()
    assert absorbed.merged_into_id is None
    assert absorbed.archived_at is None


@pytest.mark.django_db
@pytest.mark.real_data
def test_an_unknown_decision_is_a_clear_error(queued, admin_client):
    pair = DuplicatePair.objects.filter(status="to-review").first()
    response = admin_client.post(
        f"/doublons/{pair.pk}/decider/", {"decision": "peut-être"}, follow=True
    )
    assert "Décision inconnue" in response.content.decode()
    pair.refresh_from_db()
    assert pair.status == "to-review"


@pytest.mark.django_db
@pytest.mark.real_data
def test_the_pair_page_speaks_english_too(queued, admin_client):
    from django.conf import settings

    pair = DuplicatePair.objects.filter(status="to-review").first()
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = admin_client.get(f"/doublons/{pair.pk}/").content.decode()
    assert "Side by side" in html
    assert "Not a duplicate" in html
