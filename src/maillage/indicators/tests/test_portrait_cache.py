"""The portrait's content is rendered once per state of its figures, map choice, peers and
language, then served from the cache; a recompute shows new figures at once."""

import datetime

import pytest
from django.core.cache import cache

from maillage.indicators import presenters
from maillage.indicators.services import recompute

pytestmark = pytest.mark.django_db
URL = "/territoires/dep:35/portrait/"


@pytest.fixture
def built(referential, monkeypatch):
    cache.clear()
    recompute(today=datetime.date(2026, 11, 26))
    calls = []
    original = presenters.portrait_page

    def counted(*args, **kwargs):
        calls.append(args[2:4])  # scope, indicator
        return original(*args, **kwargs)

    monkeypatch.setattr(presenters, "portrait_page", counted)
    yield calls
    cache.clear()


def _main(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def test_the_content_is_built_once_per_state_and_rebuilt_when_the_figures_change(client, built):
    first = _main(client.get(URL))
    assert _main(client.get(URL)) == first
    assert built == [("all", "per_10k")]
    client.get(URL, {"perimetre": "fam:mobilite"})
    client.get(URL, headers={"Accept-Language": "en"})
    assert len(built) == 3  # another map, another language: built again

    recompute(today=datetime.date(2026, 11, 27))  # new figures: a new computation date
    fresh = _main(client.get(URL))
    assert len(built) == 4  # rendered again, not served from the cache
    assert "Chiffres calculés le 2026-" in fresh


def test_the_cached_content_keeps_each_visitors_own_page_around_it(client, admin_client, built):
    client.get(URL)
    staff = admin_client.get(URL).content.decode()
    assert len(built) == 1
    assert 'href="/imports/"' in staff  # the staff menu, outside the cached content
    assert 'href="/imports/"' not in client.get(URL).content.decode()


def test_the_peer_comparison_is_computed_once_per_run_and_staleness_read_each_time(
    built, monkeypatch
):
    from maillage.indicators import selectors
    from maillage.indicators.services import note_data_change

    calls = []
    original = selectors._compared

    def counted(*args):
        calls.append(args[1:])
        return original(*args)

    monkeypatch.setattr(selectors, "_compared", counted)
    first = selectors.portrait("dep:35")
    assert selectors.portrait("dep:35") == first
    assert selectors.portrait("dep:35", ["dep:29"])["peers"]["chosen_by"] == "user"
    assert len(calls) == 2  # the rule's peers, then the chosen ones
    assert first["stale"] is False
    note_data_change("un import")
    assert selectors.portrait("dep:35")["stale"] is True  # read now, not from the cache
    assert len(calls) == 2
    recompute(today=datetime.date(2026, 11, 27))
    assert selectors.portrait("dep:35")["stale"] is False
    assert len(calls) == 3
