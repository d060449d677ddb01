"""The platforms' footprint as the portrait, `maillage indicators` and the API read it: a
commune's own figures with shares and arrondissements, sums over the communes of a larger
territory (with how many they cover), never a sum across platforms, peers with data."""

import datetime
import json

import pytest
from django.core.management import call_command

from maillage.catalog.services import record_footprint
from maillage.indicators.footprints import footprints
from maillage.indicators.services import recompute
from maillage.portal.tests.a11y import accessibility_problems
from maillage.sources.harvest import ImportRequest, run_import
from maillage.sources.tests.footprintfiles import (
    BORDEAUX,
    LYON_3E,
    LYON_4E,
    MERIGNAC,
    listing,
    write_listings,
)
from maillage.territories.models import Territory, TerritoryAlias

pytestmark = pytest.mark.django_db
DATE = datetime.date(2024, 3, 23)


@pytest.fixture
def listings(referential, tmp_path):
    rows = [
        listing(1, LYON_4E, availability="300", license="6938413058353", host_listings="2"),
        listing(2, LYON_4E, availability="10"),
        listing(3, LYON_4E, room_type="Private room", license="Exempt - hotel-type listing"),
        listing(4, LYON_3E, availability="150", license="6938313058353"),
        listing(5, BORDEAUX, last_review="2024-03-23"),
        listing(6, MERIGNAC, availability="100", host_listings="4"),
    ]
    path = write_listings(tmp_path / "listings.csv", rows)
    run_import(ImportRequest(backend="footprint-airbnb", path=path, source="inside-airbnb"))


def _figures(group: dict) -> dict:
    return {f["metric"]: f for f in group["figures"]}


def test_a_commune_has_its_counts_shares_and_arrondissements(listings):
    [group] = footprints("com:69123", [])
    assert (group["platform"], group["scope"], group["date"]) == (
        "Airbnb",
        "territory",
        "2024-03-23",
    )
    assert group["kind"] == "hebergement-entre-particuliers"
    figures = _figures(group)
    population = Territory.objects.get(id="com:69123").population
    assert figures["annonces"]["value"] == 4
    assert figures["annonces-pour-1000-habitants"]["value"] == round(4 * 1000 / population, 4)
    assert figures["part-avec-numero"]["value"] == 0.5
    assert figures["part-logements-entiers"]["value"] == 0.75
    assert figures["part-hotes-multiples"]["value"] == 0.25
    assert figures["logements-entiers-plus-120-nuits"]["value"] == 2
    assert figures["part-avec-numero"]["format"] == "share"
    assert figures["annonces"]["peers"] is None
    fourth = next(row for row in group["breakdown"] if row["code"] == "69384")
    alias = TerritoryAlias.objects.get(code="69384")
    assert fourth["name"] == "Lyon 4e Arrondissement"
    assert fourth["population"] == alias.population > 0
    assert fourth["figures"]["annonces"] == 3
    assert fourth["figures"]["annonces-pour-1000-habitants"] == round(3000 / alias.population, 4)
    assert fourth["figures"]["part-avec-numero"] == round(1 / 3, 4)
    assert len(group["breakdown"]) == 9
    assert group["breakdown_unplaced"] == {}
    assert group["sources"] == [
        {
            "name": "inside-airbnb",
            "licence": "CC BY 4.0 — Inside Airbnb (insideairbnb.com)",
            "url": None,
        }
    ]


def test_a_larger_territory_sums_its_communes_and_says_how_many(listings):
    metropole = Territory.objects.get(id="com:33063").epci_id
    [group] = footprints(metropole, [])
    assert group["scope"] == "communes"
    total = Territory.objects.filter(level="com", epci_id=metropole).count()
    assert (group["communes_with_data"], group["communes_total"]) == (2, total)
    figures = _figures(group)
    assert figures["annonces"]["value"] == 2
    assert figures["annonces-hotes-multiples"]["value"] == 1
    populations = Territory.objects.filter(id__in=["com:33063", "com:33281"])
    covered = sum(t.population or 0 for t in populations)
    assert group["population"] == covered
    assert figures["annonces-pour-1000-habitants"]["value"] == round(2000 / covered, 4)
    assert group["breakdown"] == []
    [france] = footprints("fr", [])
    assert france["communes_with_data"] == 3
    assert _figures(france)["annonces"]["value"] == 6


def test_platforms_are_never_added_up(listings):
    record_footprint(
        platform="Abritel", territory="com:69123", metric="annonces", date=DATE, value=100,
        unit="annonces", source_name="Abritel, statistiques locales",
    )  # fmt: skip
    record_footprint(
        platform="BlaBlaCar", territory="com:69123", metric="trajets-depart", date=DATE,
        value=5000, unit="trajets", source_name="BlaBlaCar",
    )  # fmt: skip
    groups = footprints("com:69123", [])
    assert [g["platform"] for g in groups] == ["Abritel", "Airbnb", "BlaBlaCar"]
    assert [_figures(g).get("annonces", {}).get("value") for g in groups] == [100, 4, None]
    department = footprints("dep:69", [])
    assert [(g["platform"], _figures(g).get("annonces", {}).get("value")) for g in department] == [
        ("Abritel", 100),
        ("Airbnb", 4),
    ]  # a measure Maillage does not know (trips) is never summed over communes


def test_a_figure_given_for_the_territory_wins_over_the_sum(listings):
    record_footprint(
        platform="Airbnb", territory="dep:33", metric="annonces", date=DATE, value=500,
        source_name="Département de la Gironde",
    )  # fmt: skip
    own, summed = footprints("dep:33", [])
    assert (own["scope"], _figures(own)["annonces"]["value"]) == ("territory", 500)
    assert summed["scope"] == "communes"
    assert "annonces" not in _figures(summed)
    assert _figures(summed)["logements-entiers"]["value"] == 2


def test_peers_with_data_are_compared_at_the_closest_date(listings):
    record_footprint(
        platform="Airbnb", territory="com:31555", metric="annonces",
        date=DATE - datetime.timedelta(days=30), value=10, source_name="x",
    )  # fmt: skip
    record_footprint(
        platform="Airbnb", territory="com:06088", metric="annonces",
        date=DATE - datetime.timedelta(days=800), value=99, source_name="x",
    )  # fmt: skip
    [group] = footprints("com:69123", ["com:33063", "com:31555", "com:06088", "com:44109"])
    compared = _figures(group)["annonces"]["peers"]
    assert compared["peers"] == 4
    assert compared["peers_with_data"] == 2  # Nice's figure is more than a year away
    assert compared["median"] == 5.5  # Bordeaux 1, Toulouse 10
    assert compared["percentile"] == 50.0
    assert [(p["id"], p["date"]) for p in compared["members"]] == [
        ("com:33063", "2024-03-23"),
        ("com:31555", "2024-02-22"),
    ]
    assert _figures(group)["part-avec-numero"]["peers"]["peers_with_data"] == 1  # Bordeaux


def test_portrait_shows_lyon_listings_by_arrondissement_and_escapes_names(
    listings, client, tmp_path, capsys
):
    hostile = "<script>alert(1)</script>"
    path = tmp_path / "chiffres.csv"
    path.write_text(
        "plateforme,territoire,indicateur,date,valeur,unite,source\n"
        f'"{hostile}",com:69123,trajets,2024-03-23,12,"<img src=x onerror=alert(2)>",'
        f'"<b>source</b>"\n',
        "utf-8",
    )
    run_import(ImportRequest(backend="footprint", path=path, source="hostile"))
    recompute(today=datetime.date(2026, 11, 26))
    html = client.get("/territoires/com:69123/portrait/").content.decode()
    assert "Empreinte des plateformes" in html
    assert "Airbnb par arrondissement" in html
    assert 'id="arrondissement-69384"' in html
    assert "Lyon 4e Arrondissement" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert hostile not in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<b>source</b>" not in html
    assert accessibility_problems(html) == []
    data = client.get("/territoires/com:69123/portrait/", {"format": "json"}).json()
    assert sorted(g["platform"] for g in data["footprints"]) == sorted(["Airbnb", hostile])
    call_command("indicators", "com:69123")
    assert json.loads(capsys.readouterr().out)["footprints"] == data["footprints"]
    # The old code of an arrondissement opens Lyon's portrait, where its figure is.
    assert client.get("/territoires/com:69384/portrait/").url == "/territoires/com:69123/portrait/"


def test_a_territory_without_figures_says_so(listings, client):
    recompute(today=datetime.date(2026, 11, 26))
    assert footprints("com:35238", []) == []
    html = client.get("/territoires/com:35238/portrait/").content.decode()
    assert "Aucun chiffre de plateforme pour ce territoire ni pour ses communes." in html
