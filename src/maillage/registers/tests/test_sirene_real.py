"""The real SIRENE periods file of Lyon 4e (58,228 periods, 26,614 SIRET): imported, then every
count checked against a recomputation made here with pandas, from the file itself (a
vectorised reading of the same definitions, written apart from the importer), and against the
figures its PROVENANCE gives. Then the portrait, the JSON and the API of Lyon show them, and say
that the file covers only the 4e arrondissement."""

import datetime
import json
from pathlib import Path

import pandas as pd
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from maillage.indicators.services import recompute
from maillage.portal.tests.a11y import accessibility_problems
from maillage.registers.models import RegisterCount, RegisterImport, RegisterSeries

from .files import import_periods

pytestmark = [pytest.mark.real_data, pytest.mark.django_db]

ROWS, SIRETS = 58_228, 26_614
# « First period start per SIRET » per year, as the file's PROVENANCE counts them.
PROVENANCE_FIRST_STARTS = {
    2015: 844, 2016: 942, 2017: 862, 2018: 883, 2019: 1020, 2020: 996, 2021: 1153,
    2022: 1113, 2023: 938, 2024: 920, 2025: 807,
}  # fmt: skip
LYON_AND_ABOVE = ["com:69123", "epci:200046977", "reg:84", "fr"]
WRITES = ("insert", "update", "delete", "replace", "create", "drop", "alter")


@pytest.fixture(scope="module")
def periods_file(raw_data: Path) -> Path:
    return raw_data / "sirene-periodes-lyon4e" / "periodes_sample.csv"


def recomputed(path: Path, vintage: datetime.date) -> dict[str, pd.Series]:
    """Creations, closures, reopenings per year and stock on 31 December, from the file with
    pandas: periods with a start date not after the vintage, a repeated start dropped, a
    period of unknown state dropped unless it is the SIRET's first; then creation = first
    period not closed, closure = a closed period after one that is not (or a first period
    already closed), reopening = active after closed."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df["line"] = range(1, len(df) + 1)
    df = df[df["dateDebut"] != ""].copy()
    df["start"] = pd.to_datetime(df["dateDebut"])
    df["end"] = pd.to_datetime(df["dateFin"].where(df["dateFin"] != ""))
    df = df[df["start"] <= pd.Timestamp(vintage)]
    df = df.sort_values(["siret", "start", "line"]).drop_duplicates(["siret", "start"])
    rank = df.groupby("siret").cumcount()
    df = df[(df["etat"] != "") | (rank == 0)].copy()
    df["first"] = df.groupby("siret").cumcount() == 0
    df["previous"] = df.groupby("siret")["etat"].shift(1)

    def per_year(mask: pd.Series) -> pd.Series:
        return df.loc[mask, "start"].dt.year.value_counts()

    creations = per_year(df["first"] & (df["etat"] != "F"))
    closures = per_year((df["etat"] == "F") & (df["first"] | (df["previous"] != "F")))
    reopenings = per_year((df["etat"] == "A") & (df["previous"] == "F"))
    active = df[df["etat"] == "A"]
    last = vintage.year - 1
    stock = {}
    for y in range(1970, last + 1):
        day = pd.Timestamp(y, 12, 31)
        stock[y] = int(
            ((active["start"] <= day) & (active["end"].isna() | (active["end"] >= day))).sum()
        )
    first_starts = (
        pd.read_csv(path, dtype=str, keep_default_na=False)
        .query("dateDebut != ''")
        .assign(start=lambda d: pd.to_datetime(d["dateDebut"]))
        .groupby("siret")["start"]
        .min()
        .dt.year.value_counts()
    )
    return {
        "creations": creations,
        "closures": closures,
        "reopenings": reopenings,
        "stock": pd.Series(stock),
        "first_starts": first_starts,
        "establishments": df["siret"].nunique(),
    }


def stored(territory: str) -> pd.DataFrame:
    rows = RegisterCount.objects.filter(territory_id=territory, run__current=True).values_list(
        "year", "creations", "closures", "reopenings", "stock"
    )
    frame = pd.DataFrame(
        list(rows), columns=["year", "creations", "closures", "reopenings", "stock"]
    )
    return frame.groupby("year").sum()


def _as_dict(series: pd.Series) -> dict[int, int]:
    return {int(k): int(v) for k, v in series.items() if int(v)}


def test_the_lyon_4e_file_counted_as_pandas_counts_it(periods_file):
    summary = import_periods(periods_file, source="sirene-lyon-4e")
    assert summary["rows"] == ROWS
    assert sum(summary["outcomes"].values()) == ROWS
    assert summary["outcomes"]["rejected"] == 0
    # The 321 periods without a start date, and the older periods of unknown state.
    assert summary["reasons"]["période sans date de début"] == 321
    assert summary["codes"] == ["69384"]
    vintage = datetime.date.fromisoformat(summary["vintage"])
    assert vintage == datetime.date(2026, 11, 5)  # the file's latest date, in the past
    expected = recomputed(periods_file, vintage)
    # The recomputation agrees with the PROVENANCE's own counts of first period starts.
    for year, count in PROVENANCE_FIRST_STARTS.items():
        assert int(expected["first_starts"][year]) == count, year
    for territory in LYON_AND_ABOVE:
        found = stored(territory)
        for what in ("creations", "closures", "reopenings"):
            assert _as_dict(found[what]) == _as_dict(expected[what]), (territory, what)
        stock = found["stock"]
        for year, count in expected["stock"].items():
            assert int(stock.get(year, 0)) == count, (territory, year)
    assert summary["establishments"] == expected["establishments"]
    assert SIRETS - 321 <= summary["establishments"] <= SIRETS


def test_the_same_file_again_writes_nothing(periods_file):
    first = import_periods(periods_file, source="sirene-lyon-4e")
    counts, series = RegisterCount.objects.count(), RegisterSeries.objects.count()
    again = import_periods(periods_file, source="sirene-lyon-4e")
    assert again["status"] == "up-to-date"
    assert again["id"] == first["id"]
    assert (RegisterCount.objects.count(), RegisterSeries.objects.count()) == (counts, series)
    assert RegisterImport.objects.count() == 1


def test_the_portrait_json_and_api_of_lyon_show_the_register_and_its_coverage(
    periods_file, client, referential, capsys
):
    import_periods(periods_file, source="sirene-lyon-4e", label="SIRENE Lyon 4e")
    recompute(today=datetime.date(2026, 11, 26))
    page = client.get("/territoires/com:69123/portrait/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "au registre SIRENE" in html
    assert "ne couvre que Lyon 4e Arrondissement (69384)" in html
    assert "SIRENE Lyon 4e" in html
    assert accessibility_problems(html) == []
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/territoires/com:69123/portrait/").content.decode()
    assert "Establishments created in the SIRENE register" in english
    assert "The register file covers only Lyon 4e Arrondissement (69384)" in english
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    data = client.get("/territoires/com:69123/portrait/?format=json").json()
    (source,) = data["registers"]["sources"]
    practices = RegisterSeries.objects.filter(territory_id="com:69123", scope="practices")
    assert source["practices"]["creations"] == {
        str(year): n for year, n in practices.values_list("year", "creations") if n
    }
    assert source["coverage"]["status"] == "partial"
    assert source["last_complete_year"] == 2025
    assert source["trend"]["window"] == [2023, 2025]
    api = client.get("/api/v1/territories/com:69123/registers").json()
    assert api["sources"][0]["practices"] == source["practices"]
    assert (
        client.get("/api/v1/territories/com:69123/indicators").json()["registers"]
        == data["registers"]
    )
    capsys.readouterr()
    call_command("indicators", "com:69123")  # writes to the process's stdout
    printed = json.loads(capsys.readouterr().out)
    assert printed["registers"]["sources"][0]["source"] == "sirene-lyon-4e"
    # Reading writes nothing.
    with CaptureQueriesContext(connection) as queries:
        for url in (
            "/territoires/com:69123/portrait/?format=json",
            "/api/v1/territories/com:69123/registers",
            "/api/v1/territories/fr/registers",
        ):
            assert client.get(url).status_code == 200, url
    statements = [q["sql"].lstrip().lower() for q in queries.captured_queries]
    assert statements
    assert not [s for s in statements if s.startswith(WRITES)]
    # Rennes: no register file describes it — said, not 0.
    rennes = client.get("/territoires/com:35238/portrait/").content.decode()
    assert "pas de données du registre pour ce territoire" in rennes
    nothing = client.get("/api/v1/territories/com:35238/registers").json()
    assert nothing == {"available": False, "message": "pas de données du registre", "sources": []}
