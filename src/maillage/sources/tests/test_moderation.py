"""A source under moderation: its new initiatives are held until a person publishes them, on
the real carpooling base."""

import csv
import itertools
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from maillage.catalog.models import Initiative
from maillage.catalog.services import publish_initiatives
from maillage.sources.harvest import ImportRequest, run_import
from maillage.sources.models import HarvestItem, Source

pytestmark = pytest.mark.real_data

HELD = "à relire avant publication"


@pytest.fixture
def bnlc(raw_data: Path) -> Path:
    return raw_data / "bnlc-covoiturage" / "bnlc.csv"


def _import(path: Path, **kwargs) -> None:
    run_import(ImportRequest(backend="bnlc", path=path, source="bnlc", **kwargs))


def _first_rows(bnlc: Path, target: Path, count: int) -> Path:
    with bnlc.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header, rows = list(reader.fieldnames or []), list(itertools.islice(reader, count))
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)
    return target


@pytest.mark.django_db
def test_new_initiatives_of_a_source_under_review_are_held_and_said_so(bnlc):
    _import(bnlc, moderation="review")
    assert Source.objects.get(name="bnlc").moderation == Source.Moderation.REVIEW
    created = Initiative.objects.count()
    assert created > 2000
    assert Initiative.objects.filter(published=False).count() == created
    assert not Initiative.objects.public().exists()
    new_items = HarvestItem.objects.filter(outcome="new")
    assert new_items.count() == created
    assert all(any(HELD in r for r in item.reasons) for item in new_items[:50])


@pytest.mark.django_db
def test_published_initiatives_stay_published_and_only_new_ones_wait(bnlc, tmp_path):
    _import(_first_rows(bnlc, tmp_path / "debut.csv", 100))  # published directly
    assert Initiative.objects.public().count() == Initiative.objects.count() > 90
    _import(bnlc, moderation="review")
    held = Initiative.objects.filter(published=False)
    assert held.exists()
    assert Initiative.objects.public().count() + held.count() == Initiative.objects.count()
    # The first hundred rows' initiatives were known: none of them went back to review.
    assert not held.filter(pk__in=Initiative.objects.order_by("pk")[:90]).exists()


@pytest.mark.django_db
def test_publishing_after_review_writes_who_and_why_in_the_history(bnlc, tmp_path):
    _import(_first_rows(bnlc, tmp_path / "debut.csv", 20), moderation="review")
    user = get_user_model().objects.create_user("relectrice", is_staff=True)
    chosen = Initiative.objects.order_by("pk")[:5]
    assert publish_initiatives(chosen, user=user) == 5
    assert Initiative.objects.public().count() == 5
    assert publish_initiatives(Initiative.objects.filter(published=True)) == 0
    record = Initiative.objects.get(pk=chosen[0].pk).history.latest()
    assert (record.published, record.history_user, record.history_change_reason) == (
        True,
        user,
        "publiée après relecture",
    )
    assert record.prev_record is not None
    assert record.prev_record.published is False


@pytest.mark.django_db
def test_the_admin_action_publishes_the_selected_initiatives(bnlc, tmp_path, client):
    _import(_first_rows(bnlc, tmp_path / "debut.csv", 10), moderation="review")
    admin = get_user_model().objects.create_superuser("admin", password="x")
    client.force_login(admin)
    listing = reverse("admin:catalog_initiative_changelist")
    held = list(Initiative.objects.filter(published=False).values_list("pk", flat=True)[:3])
    response = client.post(listing, {"action": "publish", "_selected_action": held}, follow=True)
    assert "3 initiatives publiées." in response.content.decode()
    assert set(Initiative.objects.public().values_list("pk", flat=True)) == set(held)
    assert client.get(listing, {"published__exact": "0"}).status_code == 200
