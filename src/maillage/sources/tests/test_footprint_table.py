"""`maillage import footprint`: a table of figures (CSV or XLSX) an authority obtains."""

import csv
import datetime
import io
import json
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.utils import timezone

from maillage.catalog.models import PlatformFootprint
from maillage.catalog.services import record_footprint
from maillage.sources.errors import SourceFileError
from maillage.sources.harvest import ImportRequest, run_import
from maillage.sources.items import all_items
from maillage.sources.models import HarvestJob

pytestmark = pytest.mark.django_db

HEADER = ["Plateforme", "Territoire", "Indicateur", "Date", "Valeur", "Unité", "Source"]


def _write(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _import(path: Path, source: str = "rpc-35", **kwargs) -> HarvestJob:
    return run_import(ImportRequest(backend="footprint", path=path, source=source, **kwargs))


def _reasons(job: HarvestJob) -> dict[int, tuple[str, str]]:
    return {i.row_number: (i.outcome, " | ".join(i.reasons)) for i in all_items(job)}


def test_good_and_bad_rows(referential, tmp_path):
    future = (timezone.localdate() + datetime.timedelta(days=40)).isoformat()
    rows = [
        ["Registre de preuve de covoiturage", "epci:243500139", "trajets-depart", "2025", "12 345", "trajets", "RPC"],
        ["blablacar", "35238", "Trajets départ", "2025-06", "4 321,5", "", ""],
        ["Ville de Rennes", "com:35238", "taxe-de-sejour", "31/12/2024", "1 250 000", "euros", "Budget"],
        ["Airbnb", "dep:35", "annonces", "2024-03-23", "12,5 %", "", ""],
        ["Airbnb", "35001", "annonces", "2024-03-23", "3", "", ""],  # an INSEE code alone
        ["Airbnb", "com:99999", "annonces", "2024-03-23", "3", "", ""],
        ["Airbnb", "com:69384", "annonces", "2024-03-23", "3", "", ""],
        ["Airbnb", "dep:35", "logements", "2024-02-30", "3", "", ""],
        ["Airbnb", "dep:35", "logements", future, "3", "", ""],
        ["Airbnb", "dep:35", "logements", "hier", "3", "", ""],
        ["Airbnb", "dep:35", "logements", "2024-03-23", "beaucoup", "", ""],
        ["Airbnb", "dep:35", "logements", "2024-03-23", "-4", "", ""],
        ["", "dep:35", "logements", "2024-03-23", "4", "", ""],
        ["Airbnb", "reg:53", "annonces", "2024-03-23", "7", "", ""],
        ["Airbnb", "reg:53", "annonces", "2024-03-23", "7", "", ""],
        ["Airbnb", "reg:53", "annonces", "2024-03-23", "8", "", ""],
    ]  # fmt: skip
    job = _import(_write(tmp_path / "chiffres.csv", rows))
    r = _reasons(job)
    assert r[1][0] == "new"
    assert "année seule « 2025 »" in r[1][1]
    assert r[2][0] == "new"
    assert "indicateur « Trajets départ » écrit « trajets-depart »" in r[2][1]
    assert r[3] == ("new", "")
    assert r[4][0] == "new"
    assert r[5][0] == "new"
    assert r[6] == ("rejected", r[6][1])
    assert "territoire inconnu : « com:99999 »" in r[6][1]
    assert r[7][0] == "rejected"
    assert "arrondissement municipal" in r[7][1]
    assert "com:69123" in r[7][1]
    assert r[8] == ("rejected", "date impossible : « 2024-02-30 »")
    assert r[9][0] == "rejected"
    assert "dans le futur" in r[9][1]
    assert r[10][0] == "rejected"
    assert "date illisible" in r[10][1]
    assert r[11] == ("rejected", "valeur non numérique : « beaucoup »")
    assert r[12][0] == "rejected"
    assert "valeur négative" in r[12][1]
    assert r[13] == ("rejected", "plateforme absente")
    assert r[14][0] == "new"
    assert r[15][0] == "skipped"
    assert "ligne répétée" in r[15][1]
    assert r[16][0] == "rejected"
    assert "valeur contradictoire avec la ligne 14" in r[16][1]
    carpool = PlatformFootprint.objects.get(metric="trajets-depart", territory_id="epci:243500139")
    assert (carpool.value, carpool.unit, carpool.date) == (
        12345,
        "trajets",
        datetime.date(2025, 1, 1),
    )
    assert carpool.source_name == "RPC"
    blablacar = PlatformFootprint.objects.get(platform="BlaBlaCar")
    assert (blablacar.territory_id, blablacar.value, blablacar.date) == (
        "com:35238",
        4321.5,
        datetime.date(2025, 6, 1),
    )
    assert blablacar.category_id == "covoiturage"  # a known platform's kind
    assert blablacar.source_name == "rpc-35"  # the source's label when the row names none
    share = PlatformFootprint.objects.get(territory_id="dep:35", metric="annonces")
    assert (share.value, share.unit) == (12.5, "%")
    assert (
        PlatformFootprint.objects.get(territory_id="com:35238", metric="taxe-de-sejour").value
        == 1_250_000
    )


def test_old_codes_designate_the_current_commune(referential, tmp_path):
    from maillage.territories.models import TerritoryAlias

    alias = TerritoryAlias.objects.filter(kind="ancienne").order_by("code").first()
    assert alias is not None
    job = _import(
        _write(tmp_path / "t.csv", [["Vinted", alias.code, "ventes", "2024", "10", "", ""]])
    )
    item = next(iter(all_items(job)))
    assert item.outcome == "new"
    assert "correspond aujourd'hui à" in item.reasons[0]
    assert PlatformFootprint.objects.get().territory_id == alias.territory_id


def test_rerun_changes_nothing_and_a_corrected_file_replaces_its_figures(referential, tmp_path):
    rows = [
        ["BlaBlaCar", "com:35238", "trajets", "2024", "100", "", ""],
        ["BlaBlaCar", "com:35047", "trajets", "2024", "40", "", ""],
    ]
    path = _write(tmp_path / "t.csv", rows)
    first = _import(path)
    assert first.figures["new"] == 2
    stamps = sorted(PlatformFootprint.objects.values_list("pk", "updated_at"))
    again = _import(path)
    assert again.outcomes["unchanged"] == 2
    assert again.figures == {**first.figures, "new": 0, "unchanged": 2}
    assert sorted(PlatformFootprint.objects.values_list("pk", "updated_at")) == stamps
    corrected = _import(
        _write(tmp_path / "t2.csv", [["BlaBlaCar", "com:35238", "trajets", "2024", "120", "", ""]])
    )
    assert corrected.figures["updated"] == 1
    assert corrected.figures["removed"] == 1
    assert list(PlatformFootprint.objects.values_list("territory_id", "value")) == [
        ("com:35238", 120)
    ]


def test_a_figure_from_another_source_is_never_replaced(referential, tmp_path):
    record_footprint(
        platform="Airbnb", territory="com:35238", metric="annonces",
        date=datetime.date(2024, 3, 23), value=900, source_name="saisie",
    )  # fmt: skip
    job = _import(
        _write(
            tmp_path / "t.csv", [["Airbnb", "com:35238", "annonces", "2024-03-23", "1000", "", ""]]
        )
    )
    outcome, reasons = _reasons(job)[1]
    assert outcome == "rejected"
    assert "déjà donnée par une autre source" in reasons
    assert PlatformFootprint.objects.get().value == 900


def test_xlsx_and_english_headers(referential, tmp_path):
    path = tmp_path / "figures.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["platform", "territory", "metric", "date", "value", "unit"])
    sheet.append(["Getaround", "dep:35", "vehicules", datetime.date(2024, 5, 1), 320, "véhicules"])
    book.save(path)
    job = _import(path, source="getaround")
    assert job.outcomes["new"] == 1, _reasons(job)
    figure = PlatformFootprint.objects.get()
    assert (figure.platform, figure.date, figure.value) == (
        "Getaround",
        datetime.date(2024, 5, 1),
        320,
    )


def test_missing_columns_refuse_the_file_in_french(referential, tmp_path):
    path = _write(
        tmp_path / "t.csv",
        [["Airbnb", "dep:35", "3"]],
        header=["plateforme", "territoire", "valeur"],
    )
    with pytest.raises(
        SourceFileError, match="colonne\\(s\\) absente\\(s\\) « indicateur », « date »"
    ):
        _import(path)
    out = io.StringIO()
    call_command(
        "import", "footprint", str(_write(tmp_path / "ok.csv", [["Airbnb", "fr", "annonces", "2024", "5", "", ""]])),
        "--source", "national", stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    summary = json.loads(out.getvalue())
    assert summary["footprints"]["new"] == 1
    assert summary["outcomes"]["new"] == 1
