"""Deciding a group of pairs at once on the review page, and undoing it in one go."""

import html
import math
import re

import pytest

from maillage.catalog.models import Initiative
from maillage.catalog.services import create_initiative
from maillage.dedupe import presenters
from maillage.dedupe.models import DuplicatePair, Merge
from maillage.dedupe.services import run_dedupe

RENNES = (-1.6800, 48.1113)


def _box(east_m: float, north_m: float, name: str = "Boîte à livres — Rennes") -> Initiative:
    lon = RENNES[0] + east_m / (111_320 * math.cos(math.radians(RENNES[1])))
    return create_initiative(
        name=name, category="boites-a-livres", lon=lon, lat=RENNES[1] + north_m / 111_320
    )


@pytest.fixture
def queue(referential) -> dict[str, tuple[int, int]]:
    """Four pairs of Rennes boxes, each pair 1 km from the others: two 20–30 m apart with
    the built name, one 80 m apart, one 20 m apart under another name."""
    made = {
        "near": (_box(0, 0), _box(20, 0)),
        "near_too": (_box(1000, 0), _box(1000, 30)),
        "far": (_box(2000, 0), _box(2080, 0)),
        "other_name": (_box(0, 1000, "Boîte à livres du parc"), _box(20, 1000)),
    }
    run_dedupe()
    pairs = {key: (min(a.pk, b.pk), max(a.pk, b.pk)) for key, (a, b) in made.items()}
    for left, right in pairs.values():
        assert DuplicatePair.objects.get(left_id=left, right_id=right).status == "to-review"
    return pairs


def _pair(ids: tuple[int, int]) -> DuplicatePair:
    return DuplicatePair.objects.get(left_id=ids[0], right_id=ids[1])


@pytest.mark.django_db
def test_a_group_is_shown_merged_at_once_and_undone_at_once(queue, admin_client):
    (group,) = presenters.groups()
    grouped = {(p.left_id, p.right_id) for p in group.pairs}
    assert grouped == {queue["near"], queue["near_too"]}

    page = admin_client.get("/doublons/").content.decode()
    assert "Décider par groupe" in page
    button = re.search(
        r"<button type=\"submit\" name=\"decision\" value=\"merge\">(Fusionner les 2 paires de [^<]+)</button>",
        page,
    )
    assert button
    assert "Rennes" in button.group(1)

    ids = [str(_pair(queue[k]).pk) for k in ("near", "near_too", "far")]  # "far" is not in it
    answer = admin_client.post(
        "/doublons/groupe/fusionner/", {"commune": group.commune_id, "nom": group.key, "paire": ids}
    )
    assert answer.status_code == 302
    merges = Merge.objects.filter(batch__gt="")
    assert merges.count() == 2
    assert len(set(merges.values_list("batch", flat=True))) == 1
    assert _pair(queue["near"]).status == _pair(queue["near_too"]).status == "merged"
    assert _pair(queue["far"]).status == "to-review"
    assert _pair(queue["other_name"]).status == "to-review"
    assert presenters.groups() == []

    page = admin_client.get("/doublons/fusions/").content.decode()
    assert "Annuler les 2 fusions du lot" in page
    batch = merges.first().batch
    admin_client.post(f"/doublons/fusions/lot/{batch}/annuler/")
    assert not Merge.objects.filter(batch=batch, undone_at__isnull=True).exists()
    for key in ("near", "near_too"):
        assert _pair(queue[key]).status == "undone"
        assert Initiative.objects.filter(pk__in=queue[key], merged_into__isnull=True).count() == 2
    # Undoing twice changes nothing and says so.
    again = admin_client.post(f"/doublons/fusions/lot/{batch}/annuler/", follow=True)
    assert "plus de fusion à annuler" in again.content.decode()


@pytest.mark.django_db
def test_a_group_decided_elsewhere_merges_nothing(queue, admin_client):
    (group,) = presenters.groups()
    ids = [str(p.pk) for p in group.pairs]
    for pair in group.pairs:
        pair.status = DuplicatePair.Status.NOT_DUPLICATE
        pair.save()
    answer = admin_client.post(
        "/doublons/groupe/fusionner/",
        {"commune": group.commune_id, "nom": group.key, "paire": ids},
        follow=True,
    )
    assert "rien n'a été décidé" in html.unescape(answer.content.decode())
    assert not Merge.objects.exists()


@pytest.mark.django_db
def test_a_group_is_set_apart_at_once_and_reopened_at_once(queue, admin_client):
    (group,) = presenters.groups()
    ids = [str(p.pk) for p in group.pairs]
    page = admin_client.get("/doublons/").content.decode()
    assert "Pas des doublons : les 2 paires de Rennes" in page
    admin_client.post(
        "/doublons/groupe/decider/",
        {"commune": group.commune_id, "nom": group.key, "paire": ids, "decision": "not-duplicate"},
    )
    assert _pair(queue["near"]).status == _pair(queue["near_too"]).status == "not-duplicate"
    assert not Merge.objects.exists()
    assert presenters.groups() == []
    # remembered: a new search does not bring them back
    run_dedupe()
    assert _pair(queue["near"]).status == "not-duplicate"

    page = html.unescape(admin_client.get("/doublons/").content.decode())
    assert "Groupes marqués « pas des doublons »" in page
    batch = _pair(queue["near"]).batch
    assert batch
    assert batch == _pair(queue["near_too"]).batch
    answer = admin_client.post(f"/doublons/groupe/lot/{batch}/rouvrir/", follow=True)
    assert "2 paires de nouveau à relire" in html.unescape(answer.content.decode())
    assert _pair(queue["near"]).status == _pair(queue["near_too"]).status == "to-review"
    assert len(presenters.groups()) == 1
    again = admin_client.post(f"/doublons/groupe/lot/{batch}/rouvrir/", follow=True)
    assert "plus de paire à rouvrir" in html.unescape(again.content.decode())


@pytest.mark.django_db
def test_a_wider_distance_takes_in_farther_boxes(queue, admin_client):
    assert [len(g.pairs) for g in presenters.groups(100)] == [3]
    page = admin_client.get("/doublons/?distance=100").content.decode()
    assert "Fusionner les 3 paires de Rennes" in page
    assert '<option value="100" selected>' in page
    # a distance not offered falls back to 50 m rather than failing
    assert (
        "Fusionner les 2 paires de Rennes"
        in admin_client.get("/doublons/?distance=9e9").content.decode()
    )
    (group,) = presenters.groups(100)
    ids = [str(p.pk) for p in group.pairs]
    admin_client.post(
        "/doublons/groupe/decider/",
        {"commune": group.commune_id, "nom": group.key, "paire": ids, "distance": "100"},
    )
    assert _pair(queue["far"]).status == "merged"
    assert _pair(queue["other_name"]).status == "to-review"


@pytest.mark.django_db
def test_the_queue_has_a_json_twin(queue, admin_client):
    answer = admin_client.get("/doublons/?format=json")
    assert answer["Content-Type"].startswith("application/json")
    data = answer.json()
    assert data["count"] == 4
    assert {(p["left"], p["right"]) for p in data["pairs"]} == set(queue.values())
    assert data["group_distance_m"] == 50
    (group,) = data["groups"]
    assert group["commune"] == "com:35238"
    assert sorted(group["pairs"]) == sorted(_pair(queue[k]).pk for k in ("near", "near_too"))
    assert data["pairs"][0]["left_name"].startswith("Boîte à livres")


@pytest.mark.django_db
def test_group_pages_are_for_staff_only(client):
    assert client.post("/doublons/groupe/fusionner/").status_code == 302
    assert client.post("/doublons/groupe/decider/").status_code == 302
    assert "/admin/login/" in client.post("/doublons/groupe/lot/abc/rouvrir/")["Location"]
    assert "/admin/login/" in client.get("/doublons/?format=json")["Location"]
    assert "/admin/login/" in client.post("/doublons/fusions/lot/abc/annuler/")["Location"]
