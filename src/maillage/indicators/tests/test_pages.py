"""The portrait page, its JSON twin, the initiatives' GeoJSON, the compare page and the
`maillage indicators` command, on the bundled demo sources."""

import json

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tasks_db.models import DBTaskResult

from maillage.catalog.models import Initiative
from maillage.catalog.services import create_initiative, update_initiative
from maillage.indicators.models import IndicatorRun
from maillage.indicators.selectors import latest_run, portrait
from maillage.indicators.tasks import refresh_figures
from maillage.portal.tests.a11y import accessibility_problems
from maillage.territories.models import Territory

URL = "/territoires/{}/portrait/"


@pytest.mark.real_data
def test_portrait_page_shows_figures_peers_and_sources_accessibly(client, demo_figures):
    response = client.get(URL.format("dep:64"))
    assert response.status_code == 200
    html = response.content.decode()
    assert accessibility_problems(html) == []
    assert "Portrait : Pyrénées-Atlantiques" in html
    assert "Comparaison avec des territoires semblables" in html
    assert "Initiatives par catégorie présente" in html  # the categories' chart
    assert "Licence Ouverte 2.0" in html  # sources behind the figures
    assert 'id="valeurs-carte"' in html  # the choropleth's values, also given as a table
    assert "/territoires/dep:64/enfants.geojson" in html


@pytest.mark.real_data
def test_the_json_twin_is_what_the_command_prints(client, demo_figures, capsys):
    data = client.get(URL.format("dep:64"), {"format": "json"}).json()
    call_command("indicators", "dep:64", "--json")
    printed = json.loads(capsys.readouterr().out)
    assert printed == data
    assert data["territory"]["id"] == "dep:64"
    for key in ("families", "categories"):
        for figures in data[key].values():
            assert {"count", "per_10k"} <= set(figures)
    assert data["categories"]["covoiturage"]["count"] > 0
    assert len(data["peers"]["members"]) == 10
    peer = data["peers"]["indicators"]["all"]["per_10k"]
    assert {"value", "median", "percentile", "ratio"} <= set(peer)


@pytest.mark.real_data
def test_peers_share_level_and_density_class_and_are_closest_in_population(demo_figures):
    data = portrait("epci:200039204")
    members = Territory.objects.filter(id__in=[m["id"] for m in data["peers"]["members"]])
    assert len(members) == 20
    assert {m.level for m in members} == {"epci"}
    own = Territory.objects.get(id="epci:200039204")
    density = own.population / own.area_km2
    assert 25 <= density < 150  # « peu dense »
    assert all(25 <= m.population / m.area_km2 < 150 for m in members)


@pytest.mark.real_data
def test_user_chosen_peers_replace_the_rule(client, demo_figures):
    data = client.get(
        URL.format("dep:64"), {"format": "json", "pairs": "dep:40, dep:65,dep:32"}
    ).json()
    assert data["peers"]["chosen_by"] == "user"
    assert [m["id"] for m in data["peers"]["members"]] == ["dep:40", "dep:65", "dep:32"]
    assert data["peers"]["not_found"] == []
    html = client.get(URL.format("dep:64"), {"pairs": "dep:40, dpt:65, dep:999"}).content.decode()
    assert "Identifiants sans territoire ni chiffres, écartés : dpt:65, dep:999." in html


@pytest.mark.real_data
def test_gaps_are_categories_most_peers_have(demo_figures):
    data = portrait("com:64443", ["com:64430", "com:64131"])  # Pardies vs Orthez and Biron
    # Both peers have a carpool place, Pardies has none: a gap. Pardies' fab lab is a strength.
    assert {g["category"] for g in data["peers"]["gaps"]} == {"covoiturage"}
    assert "cat:fablab" in {s["scope"] for s in data["peers"]["strengths"]}


@pytest.mark.real_data
def test_initiatives_as_geojson(client, demo_figures):
    collection = client.get("/territoires/epci:200039204/initiatives.geojson").json()
    assert collection["total"] == 4
    assert {f["properties"]["category"] for f in collection["features"]} == {
        "covoiturage", "coworking", "fablab",
    }  # fmt: skip


@pytest.mark.real_data
def test_compare_page(client, demo_figures):
    response = client.get("/territoires/comparer/", {"t": "dep:64, dep:40,dep:65"})
    assert response.status_code == 200
    html = response.content.decode()
    assert accessibility_problems(html) == []
    assert html.count('<th scope="col"><a href="/territoires/dep:') == 3
    data = client.get("/territoires/comparer/", {"t": "dep:64,dep:40", "format": "json"}).json()
    assert [p["territory"]["id"] for p in data["territories"]] == ["dep:64", "dep:40"]
    alone = client.get("/territoires/comparer/", {"t": "dep:64"})
    assert alone.status_code == 400
    assert "Choisissez au moins 2 territoires" in alone.content.decode()


def test_unknown_territory_and_missing_figures(client, referential):
    assert client.get(URL.format("dep:999")).status_code == 404
    response = client.get(URL.format("dep:64"), {"format": "json"})
    assert response.status_code == 503  # nothing computed yet
    assert "maillage indicators --recompute" in response.json()["message"]
    with pytest.raises(CommandError, match="--recompute"):
        call_command("indicators")


@pytest.mark.real_data
def test_figures_are_marked_stale_when_the_inventory_changes(demo_figures, capsys):
    assert portrait("dep:64")["stale"] is False
    initiative = Initiative.objects.filter(commune__departement_id="dep:64").first()
    update_initiative(initiative, name=initiative.name + " (rebaptisée)")
    assert portrait("dep:64")["stale"] is True
    run = latest_run()
    call_command("indicators", "dep:64")  # recomputes first, and says so
    assert "recalcul" in capsys.readouterr().err
    assert latest_run().pk != run.pk
    assert portrait("dep:64")["stale"] is False


@pytest.mark.real_data
def test_portrait_in_english(client, demo_figures):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(URL.format("dep:64")).content.decode()
    assert '<html lang="en">' in html
    assert "Key figures" in html
    assert "Comparison with similar territories" in html
    assert "Shared mobility" in html


@pytest.mark.real_data
def test_rest_api_gives_the_same_figures(client, demo_figures):
    data = client.get("/api/v1/territories/dep:64/indicators").json()
    assert data == client.get(URL.format("dep:64"), {"format": "json"}).json()
    chosen = client.get("/api/v1/territories/dep:64/indicators", {"peers": "dep:40"}).json()
    assert [m["id"] for m in chosen["peers"]["members"]] == ["dep:40"]
    missing = client.get("/api/v1/territories/dep:999/indicators")
    assert (missing.status_code, missing.json()["code"]) == (404, "territory-not-found")
    schema = client.get("/api/v1/schema/").json()
    assert "/api/v1/territories/{territory_id}/indicators" in schema["paths"]


def test_rest_api_says_when_nothing_is_computed(client, referential):
    response = client.get("/api/v1/territories/dep:64/indicators")
    assert (response.status_code, response.json()["code"]) == (503, "figures-not-computed")


@pytest.mark.real_data
def test_a_change_queues_one_refresh_and_the_portrait_never_recomputes(
    client, demo_figures, django_capture_on_commit_callbacks
):
    before = client.get(URL.format("com:64443"), {"format": "json"}).json()
    assert before["all"]["count"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        for name in ("Repair café de Pardies", "Atelier vélo de Pardies"):
            create_initiative(name=name, category="repair-cafe", insee_code="64443")
    # Read-only request: the stored figures, marked out of date; nothing recomputed.
    runs = IndicatorRun.objects.count()
    stale = client.get(URL.format("com:64443"), {"format": "json"}).json()
    assert stale["stale"] is True
    assert stale["all"]["count"] == 1
    page = client.get(URL.format("com:64443")).content.decode()
    assert (
        "le recalcul est en file d&#x27;attente" in page
        or "le recalcul est en file d'attente" in page
    )
    assert IndicatorRun.objects.count() == runs
    queued = DBTaskResult.objects.filter(task_path=refresh_figures.module_path)
    assert [r.status for r in queued] == ["READY"]  # one refresh for the two changes
    refresh_figures.call()  # what the worker runs
    after = client.get(URL.format("com:64443"), {"format": "json"}).json()
    assert after["stale"] is False
    assert after["all"]["count"] == 3
    assert after["categories"]["repair-cafe"]["count"] == 2
