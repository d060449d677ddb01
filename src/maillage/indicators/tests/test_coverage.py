"""Issue 14, coverage: « 0 » means « none here », never « no source looked ».

On the demo data (the national carpooling places and the 2019 tiers-lieux census), Rennes
has carpooling figures but its AMAP figure is « non couvert »; importing a national AMAP
source turns it into a number. Partial coverage, peers and gaps follow the same rule."""

import csv
import io
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from maillage.indicators import inputs
from maillage.indicators.compute import coverage_shares
from maillage.indicators.selectors import compare, gaps_and_strengths, portrait, scope_figures
from maillage.indicators.services import recompute
from maillage.sources.coverage import propose_area, propose_categories
from maillage.sources.harvest import ImportRequest, run_import
from maillage.sources.models import Source
from maillage.territories.models import Territory

from .conftest import REFERENCE_DATE

RENNES = "com:35238"


def _amap_file(path: Path) -> Path:
    """Three AMAP far from Rennes: a national source that finds none in Rennes."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Nom", "lat", "lon"])
        writer.writerow(["AMAP du Marais", "46.32", "-0.46"])  # Niort
        writer.writerow(["AMAP des Coteaux", "43.60", "1.44"])  # Toulouse
        writer.writerow(["AMAP de la Vallée", "45.76", "4.84"])  # Lyon
    return path


@pytest.mark.real_data
@pytest.mark.django_db
def test_rennes_amap_is_not_covered_until_a_national_amap_source_is_imported(
    demo_figures, tmp_path
):
    rennes = portrait(RENNES)
    carpooling = rennes["categories"]["covoiturage"]
    assert carpooling["covered"] == "full"
    assert isinstance(carpooling["count"], int)
    assert carpooling["count"] > 0
    amap = rennes["categories"]["amap"]
    assert (amap["covered"], amap["count"], amap["per_10k"]) == ("none", None, None)
    assert rennes["peers"]["indicators"]["cat:amap"] == {}
    assert "cat:amap" not in {g["category"] for g in rennes["peers"]["gaps"]}
    assert rennes["families"]["alimentation"]["covered"] == "none"
    assert rennes["coverage"]["categories"]["none"] > 0
    names = {s["name"] for s in rennes["coverage"]["sources"]}
    assert "Base nationale des lieux de covoiturage" in names
    cget = next(s for s in rennes["coverage"]["sources"] if "CGET" in s["name"])
    assert cget["vintage"] == "2019-01-01"
    assert cget["extent"] == "whole"

    job = run_import(
        ImportRequest(
            backend="csv",
            path=_amap_file(tmp_path / "amap.csv"),
            source="amap-nationales",
            category="amap",
            licence="ODbL 1.0",
            coverage_categories=["amap"],
            coverage_area=["fr"],
        )
    )
    assert job.outcomes["new"] == 3
    recompute(today=REFERENCE_DATE)
    amap = portrait(RENNES)["categories"]["amap"]
    assert (amap["covered"], amap["count"], amap["per_10k"]) == ("full", 0, 0.0)

    # The portrait says it in words, and keeps the figure apart from a zero.
    from django.test import Client

    page = Client().get(f"/territoires/{RENNES}/portrait/").content.decode()
    assert "non couvert" in page
    assert "Sources qui recensent ce territoire" in page


@pytest.mark.django_db
def test_a_first_import_proposes_its_coverage_and_says_it(referential, tmp_path):
    job = run_import(
        ImportRequest(
            backend="csv", path=_amap_file(tmp_path / "amap.csv"), source="amap", category="amap"
        )
    )
    source = Source.objects.get(name="amap")
    assert (source.coverage_categories, source.coverage_area) == (["amap"], ["fr"])
    assert source.coverage_proposed
    assert any("couverture proposée" in note for note in job.notes)
    assert any("licence de la source non renseignée" in note for note in job.notes)
    # declared coverage is never overwritten by a later proposal
    source.coverage_area, source.coverage_proposed = ["reg:75"], False
    source.save()
    run_import(ImportRequest(backend="csv", path=tmp_path / "amap.csv", source="amap"))
    source.refresh_from_db()
    assert source.coverage_area == ["reg:75"]


@pytest.mark.django_db
def test_a_dry_run_proposes_nothing(referential, tmp_path):
    run_import(
        ImportRequest(
            backend="csv",
            path=_amap_file(tmp_path / "amap.csv"),
            source="amap",
            category="amap",
            dry_run=True,
        )
    )
    assert Source.objects.get(name="amap").coverage_categories == []


def test_proposed_categories_leave_out_a_few_strays():
    counts = Counter({"boites-a-livres": 8000, "jardin-partage": 2, "": 40, "troc": 250})
    assert propose_categories(counts) == ["boites-a-livres", "troc"]
    assert propose_categories(counts, forced="amap") == ["amap"]


def test_proposed_area_is_the_smallest_territory_holding_nearly_all():
    one_town = [Counter({"com:35238": 99, "com:35047": 1}), Counter({"epci:243500139": 100})]
    assert propose_area(one_town) == ["com:35238"]
    brittany = [
        Counter({"com:35238": 40, "com:29019": 30, "com:56260": 30}),
        Counter({"epci:1": 40, "epci:2": 30, "epci:3": 30}),
        Counter({"dep:35": 40, "dep:29": 30, "dep:56": 30}),
        Counter({"reg:53": 100}),
    ]
    assert propose_area(brittany) == ["reg:53"]
    national = [Counter({"com:1": 50, "com:2": 50})] * 4
    assert propose_area(national) == ["fr"]
    assert propose_area([Counter()]) == []


@pytest.mark.django_db
def test_a_departement_source_covers_part_of_its_region(referential):
    """Coverage shares from the referential's own populations, recomputed here by hand."""
    referential_arrays = inputs.load_referential()
    typology = inputs.load_typology()
    source = inputs.CoveringSource("dep", ["jardin-partage"], ["dep:35"])
    covered = inputs.load_coverage(referential_arrays, typology, [source])
    shares = coverage_shares(referential_arrays, typology, covered)
    scopes = ["all", *(f"fam:{f}" for f in typology.families)]
    scopes += [f"cat:{c}" for c in typology.categories]
    column = scopes.index("cat:jardin-partage")
    row = {tid: i for i, tid in enumerate(referential_arrays.ids)}

    def population(**filters: str) -> int:
        return sum(
            Territory.objects.filter(level="com", **filters).values_list("population", flat=True)
        )

    expected = population(departement_id="dep:35") / population(region_id="reg:53")
    assert shares[row["reg:53"], column] == pytest.approx(expected, abs=0.001)
    assert 0 < shares[row["reg:53"], column] < 1
    assert shares[row["dep:35"], column] == 1.0
    assert shares[row[RENNES], column] == 1.0
    assert shares[row["dep:29"], column] == 0.0
    assert shares[row["dep:35"], scopes.index("cat:amap")] == 0.0
    family = typology.families.index("alimentation")
    members = int((typology.family_of == family).sum())
    assert shares[row["dep:35"], 1 + family] == pytest.approx(1 / members, abs=0.001)
    assert np.all((shares >= 0) & (shares <= 1))


def _figures(count: int, coverage: dict[str, float] | None) -> dict:
    values = [count, count * 1.0, 0.5, 0.5, 0, 0, None, 0, 0, 0, 0] if count else None
    return {
        "population": 10_000,
        "scopes": {"cat:amap": values} if values else {},
        "coverage": coverage,
    }


def test_peers_whose_sources_did_not_look_are_no_evidence():
    own = _figures(0, {"cat:amap": 1.0})
    covered_peers = [_figures(2, {"cat:amap": 1.0}) for _ in range(3)]
    blind_peers = [_figures(0, {}) for _ in range(5)]
    gaps, _strengths = gaps_and_strengths(own, covered_peers + blind_peers, ["amap"], {})
    assert gaps == [{"category": "amap", "peers_with_it": 3, "peers": 3}]
    compared = compare(own, covered_peers + blind_peers, ["cat:amap"])
    assert compared["cat:amap"]["count"]["median"] == 2
    # Here uncovered: no comparison, no gap.
    blind = _figures(0, {})
    assert compare(blind, covered_peers, ["cat:amap"]) == {"cat:amap": {}}
    assert gaps_and_strengths(blind, covered_peers, ["amap"], {})[0] == []
    # Figures computed before coverage existed count as covered until recomputed.
    assert scope_figures({"scopes": {}, "population": 1}, "cat:amap")["covered"] == "full"


@pytest.mark.django_db
def test_the_command_checks_declared_coverage(referential, tmp_path):
    from django.core.management.base import CommandError

    path = _amap_file(tmp_path / "amap.csv")
    with pytest.raises(CommandError) as error:
        call_command(
            "import", "csv", str(path), "--source", "a", "--covers", "amapp", "--area", "dep:999",
            stdout=io.StringIO(), stderr=io.StringIO(),
        )  # fmt: skip
    assert "amapp" in str(error.value)
    assert "dep:999" in str(error.value)
    out = io.StringIO()
    call_command(
        "import", "csv", str(path), "--source", "a", "--category", "amap", "--covers", "alimentation",
        "--area", "fr", "--vintage", "2024", "--licence", "ODbL 1.0", stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    source = Source.objects.get(name="a")
    assert source.coverage_categories == ["alimentation"]
    assert str(source.data_vintage) == "2024-01-01"
    assert not source.coverage_proposed


@pytest.mark.django_db
def test_a_first_import_proposes_the_latest_date_its_records_give_as_vintage(referential, tmp_path):
    path = tmp_path / "amap.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Nom", "lat", "lon", "maj"])
        writer.writerow(["AMAP du Marais", "46.32", "-0.46", "2023-05-02"])
        writer.writerow(["AMAP des Coteaux", "43.60", "1.44", "2024-02-11"])
    mapping = {"fields": {"name": "Nom", "lat": "lat", "lon": "lon", "source_updated_on": "maj"}}
    job = run_import(
        ImportRequest(backend="csv", path=path, source="amap", category="amap", mapping=mapping)
    )
    source = Source.objects.get(name="amap")
    assert str(source.data_vintage) == "2024-02-11"
    assert any("millésime des données proposé : 2024-02-11" in note for note in job.notes)
    # Only a first import proposes it: a re-import does not read every record's date again.
    Source.objects.filter(pk=source.pk).update(data_vintage=None)
    path.write_text(path.read_text("utf-8").replace("2024-02-11", "2025-01-20"), "utf-8")
    again = run_import(ImportRequest(backend="csv", path=path, source="amap", mapping=mapping))
    assert again.outcomes["unchanged"] == 2  # read again: the date is not a field shown
    assert Source.objects.get(name="amap").data_vintage is None
    assert not any("millésime" in note for note in again.notes)
