"""A request that only reads never writes: no recompute of stale figures, no job closed, no
row touched — so that reads never wait on a job holding the database (issue: a long import
made portraits answer 500 because a GET tried to recompute)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from maillage.catalog.models import Initiative
from maillage.catalog.services import update_initiative
from maillage.sources.models import HarvestJob

WRITES = ("insert", "update", "delete", "replace", "create", "drop", "alter")

pytestmark = [pytest.mark.django_db, pytest.mark.real_data]


def _writes(client, urls: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            answer = client.get(url)
        assert answer.status_code == 200, (url, answer.status_code)
        statements = [q["sql"] for q in queries.captured_queries]
        assert statements, url  # the page read the database: the capture saw it
        written = [s for s in statements if s.lstrip().lower().startswith(WRITES)]
        if written:
            found[url] = written
    return found


def test_public_and_staff_pages_write_nothing_even_when_figures_are_stale(
    demo_figures, admin_client
):
    # The inventory changes: the figures are stale, a refresh is queued (not run here).
    initiative = Initiative.objects.public().first()
    assert initiative is not None
    update_initiative(initiative, name=f"{initiative.name} (renommée)")
    job = HarvestJob.objects.order_by("pk").first()
    assert job is not None
    urls = [
        "/",
        "/territoires/?q=Rennes",
        "/sources/",
        "/territoires/dep:35/",
        "/territoires/dep:35/portrait/",
        "/territoires/com:35238/portrait/?format=json",
        "/territoires/comparer/?t=dep:35,dep:29",
        "/api/v1/territories/dep:35/indicators",
        "/api/v1/territories/dep:35/impacts",
        "/api/v1/territories?q=Rennes",
        "/imports/",
        f"/imports/{job.pk}/",
        f"/imports/{job.pk}/?format=json",
        "/doublons/",
    ]
    assert _writes(admin_client, urls) == {}
