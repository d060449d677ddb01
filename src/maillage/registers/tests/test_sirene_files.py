"""SIRENE files written by the tests: every kind of row the real files hold (old activity codes,
codes without their dot, placeholders, unknown states, periods without a start, repeats,
closures, reopenings), the current national layout (StockEtablissement with the legal unit's
columns), rejected rows, and what an import leaves behind when it is run again, interrupted or
refused. Expected figures are worked out by hand in each test."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from maillage.registers import selectors
from maillage.registers.models import RegisterCount, RegisterImport, RegisterSeries
from maillage.sources.errors import SourceFileError

from .files import PERIODS_HEADER, STOCK_HEADER, import_periods, stock_row, write_csv

pytestmark = pytest.mark.django_db

RENNES, LYON_4E = ("35238", "RENNES"), ("69384", "LYON")


def _period(siret: str, start: str, end: str, state: str, code: str, place=RENNES) -> list[str]:
    return [siret, start, end, state, code, place[0], place[1], "NN"]


ROWS = [
    # A: a repair business created in 2019, closed in June 2020.
    _period("11111111100011", "2019-03-01", "2020-05-31", "A", "95.29Z"),
    _period("11111111100011", "2020-06-01", "", "F", "95.29Z"),
    # B: created in 2005 under an old code written without its dot (52.7A), recoded in 2008,
    # closed 2016–2018, reopened in 2019.
    _period("22222222200012", "2005-01-10", "2007-12-31", "A", "527A"),
    _period("22222222200012", "2008-01-01", "2015-12-31", "A", "95.23Z"),
    _period("22222222200012", "2016-01-01", "2018-12-31", "F", "95.23Z"),
    _period("22222222200012", "2019-01-01", "", "A", "95.23Z"),
    # C: no start date at all (skipped).
    _period("33333333300013", "", "", "F", "55.40", LYON_4E),
    # D: two old periods of unknown state, then active: created in 1990 (the first period's
    # start), the second unknown period skipped.
    _period("44444444400014", "1990-12-25", "2004-08-31", "", "80.1Z", LYON_4E),
    _period("44444444400014", "2004-09-01", "2009-12-31", "", "80.1Z", LYON_4E),
    _period("44444444400014", "2010-01-01", "", "A", "85.20Z", LYON_4E),
    # E: a furnished-let business of 2012, closed in 2013; its first period repeated.
    _period("55555555500015", "2012-01-01", "2012-12-31", "A", "55.20Z", LYON_4E),
    _period("55555555500015", "2012-01-01", "2012-12-31", "A", "55.20Z", LYON_4E),
    _period("55555555500015", "2013-01-01", "", "F", "55.20Z", LYON_4E),
    # F: declared to start after the file's vintage (skipped).
    _period("66666666600016", "2026-01-05", "", "A", "49.32Z", LYON_4E),
    # G: the register kept only its closure, in 1995 (closure counted, creation unknown).
    _period("77777777700017", "1995-06-01", "", "F", "52.7C", LYON_4E),
    # Rejected: unreadable SIRET, date, state; unknown commune; a period ending before it
    # starts.
    _period("1234", "2019-01-01", "", "A", "95.29Z"),
    _period("88888888800018", "2019-13-45", "", "A", "95.29Z"),
    _period("89898989800019", "2019-01-01", "", "X", "95.29Z"),
    _period("99999999900019", "2019-01-01", "", "A", "95.29Z", ("99999", "NULLE PART")),
    _period("13131313100011", "2019-01-01", "2018-01-01", "A", "95.29Z"),
    # L: an unreadable activity code, counted under « unknown ».
    _period("14141414100012", "2021-02-01", "", "A", "9X.ZZ", LYON_4E),
    # M: a NAP code of 1980 (without its dot), closed in 1985.
    _period("15151515100013", "1980-01-01", "1985-06-30", "A", "5540", LYON_4E),
    _period("15151515100013", "1985-07-01", "", "F", "5540", LYON_4E),
]
VINTAGE = "2025-06-30"  # last complete year: 2024


@pytest.fixture
def periods(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "periodes.csv", PERIODS_HEADER, ROWS)


def _totals(territory: str, **filters) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for year, c, f, r, s in RegisterCount.objects.filter(
        territory_id=territory, **filters
    ).values_list("year", "creations", "closures", "reopenings", "stock"):
        row = found.setdefault(year, [0, 0, 0, 0])
        for i, value in enumerate((c, f, r, s)):
            row[i] += value
    return found


def _what(found: dict[int, list[int]], position: int) -> dict[int, int]:
    return {year: values[position] for year, values in sorted(found.items()) if values[position]}


def test_every_row_is_counted_with_its_reason(periods):
    summary = import_periods(periods, VINTAGE)
    assert summary["status"] == "done"
    assert summary["layout"] == "periodes"
    assert summary["rows"] == len(ROWS) == 23
    assert summary["outcomes"] == {"used": 14, "skipped": 4, "rejected": 5}
    assert summary["reasons"] == {
        "période sans date de début": 1,
        "état administratif inconnu": 1,
        "période en double": 1,
        "période postérieure au millésime du fichier": 1,
        "SIRET illisible": 1,
        "date illisible": 1,
        "état administratif illisible": 1,
        "commune inconnue": 1,
        "période impossible": 1,
    }
    assert summary["establishments"] == 7  # A, B, D, E, G, L, M (C and F have no period kept)
    assert summary["codes"] == ["35238", "69384"]
    run = RegisterImport.objects.get(current=True)
    lines = {(line, outcome) for line, _siret, outcome, _reason in run.issues}
    assert (7, "skipped") in lines
    assert (16, "rejected") in lines
    notes = " ".join(summary["notes"])
    assert "1 établissements n'ont qu'une période fermée" in notes
    assert "code d'activité sans point, normalisé : 3 lignes" in notes
    assert "code d'activité illisible, compté comme inconnu : 1 lignes" in notes


def test_creations_closures_reopenings_and_stock_per_commune_and_code(periods):
    import_periods(periods, VINTAGE)
    rennes = _totals("com:35238")
    assert _what(rennes, 0) == {2005: 1, 2019: 1}
    assert _what(rennes, 1) == {2016: 1, 2020: 1}
    assert _what(rennes, 2) == {2019: 1}
    stock = dict.fromkeys(range(2005, 2016), 1) | dict.fromkeys(range(2019, 2025), 1)
    stock[2019] = 2  # A (95.29Z) and B (95.23Z, reopened)
    assert _what(rennes, 3) == stock
    # The codes kept as written, normalised: the old one under its own nomenclature.
    assert _what(_totals("com:35238", naf="52.7A", nomenclature="NAF1993"), 3) == {
        2005: 1, 2006: 1, 2007: 1,
    }  # fmt: skip
    assert _what(_totals("com:35238", naf="95.23Z"), 1) == {2016: 1}  # closed under its code
    lyon = _totals("com:69123")  # Lyon 4e counts in Lyon
    assert _what(lyon, 0) == {1980: 1, 1990: 1, 2012: 1, 2021: 1}
    assert _what(lyon, 1) == {1985: 1, 1995: 1, 2013: 1}
    assert _what(_totals("com:69123", naf="55.40", nomenclature="NAP"), 3) == dict.fromkeys(
        range(1980, 1985), 1
    )
    assert _what(_totals("com:69123", naf=""), 0) == {2021: 1}  # unreadable code: unknown
    # Rolled up: Rennes Métropole, Ille-et-Vilaine, Bretagne, France hold the same counts.
    for up in ("epci:243500139", "dep:35", "reg:53"):
        assert _totals(up) == rennes
    france = _totals("fr")
    assert _what(france, 0) == {1980: 1, 1990: 1, 2005: 1, 2012: 1, 2019: 1, 2021: 1}


def test_series_follow_the_mapping_table(periods):
    import_periods(periods, VINTAGE)

    def series(territory: str, scope: str, what: str) -> dict[int, int]:
        rows = RegisterSeries.objects.filter(territory_id=territory, scope=scope)
        return {year: n for year, n in rows.values_list("year", what) if n}

    # Rennes: 95.29Z, 95.23Z and the old 52.7A are repair.
    assert series("com:35238", "cat:repair-cafe", "creations") == {2005: 1, 2019: 1}
    assert series("com:35238", "practices", "closures") == {2016: 1, 2020: 1}
    assert series("com:35238", "practices", "stock")[2019] == 2
    # Lyon: the 2012 furnished let and the 1995 closure of an old repair code are practices;
    # 80.1Z (old) and 55.40 (NAP) are old codes no rule knows; 9X.ZZ is unknown.
    assert series("com:69123", "cat:hebergement-entre-particuliers", "creations") == {2012: 1}
    assert series("com:69123", "practices", "closures") == {1995: 1, 2013: 1}
    assert series("com:69123", "unmapped-old", "creations") == {1980: 1, 1990: 1}
    assert series("com:69123", "unknown-code", "creations") == {2021: 1}
    assert series("com:69123", "all", "creations") == {1980: 1, 1990: 1, 2012: 1, 2021: 1}


def test_emergence_says_coverage_trend_and_no_data(periods):
    import_periods(periods, VINTAGE)
    rennes = selectors.emergence("com:35238", ["com:69123"])
    assert rennes["available"] is True
    (source,) = rennes["sources"]
    assert source["coverage"]["status"] == "full"
    assert source["last_complete_year"] == 2024
    assert source["trend"] == {
        "window": [2022, 2024], "previous_window": [2019, 2021], "creations": 0,
        "previous_creations": 1, "change": -1.0, "direction": "baisse",
        "share_of_all_creations": None,
    }  # fmt: skip
    # Lyon is a peer the file describes only in part: not compared.
    assert source["peers"]["with_data"] == 0
    assert source["peers"]["without_data"] == 1
    lyon = selectors.emergence("com:69123")
    coverage = lyon["sources"][0]["coverage"]
    assert coverage["status"] == "partial"
    assert coverage["parts"] == [{"code": "69384", "name": "Lyon 4e Arrondissement"}]
    assert "ne couvre que Lyon 4e Arrondissement (69384)" in coverage["note"]
    assert "1 arrondissement(s) sur 9" in coverage["note"]
    assert lyon["sources"][0]["peers"]["per_10k"] is None
    assert "Couverture partielle" in lyon["sources"][0]["peers"]["note"]
    assert selectors.emergence("dep:35")["sources"][0]["coverage"]["status"] == "partial"
    # A territory no file describes: no data, not 0.
    nothing = selectors.emergence("com:29019")
    assert nothing == {"available": False, "message": "pas de données du registre", "sources": []}


def test_peers_the_file_describes_whole_are_compared_per_inhabitant(tmp_path):
    """Three communes described whole: Rennes compared with Brest and Quimper."""
    rows = [
        _period(f"5000000000{i:04d}", "2023-05-01", "", "A", "95.29Z", place)
        for i, place in enumerate(
            [RENNES] * 4 + [("29019", "BREST")] * 2 + [("29232", "QUIMPER")] * 1
        )
    ]
    path = write_csv(tmp_path / "trois.csv", PERIODS_HEADER, rows)
    import_periods(path, "2024-12-31")
    from maillage.territories.models import Territory

    population = dict(
        Territory.objects.filter(id__in=["com:35238", "com:29019", "com:29232"]).values_list(
            "id", "population"
        )
    )
    peers = selectors.emergence("com:35238", ["com:29019", "com:29232", "com:56260"])
    compared = peers["sources"][0]["peers"]
    assert compared["with_data"] == 2
    assert compared["without_data"] == 1
    mine = round(4 / population["com:35238"] * 10_000, 3)
    brest = round(2 / population["com:29019"] * 10_000, 3)
    quimper = round(1 / population["com:29232"] * 10_000, 3)
    assert compared["per_10k"] == mine
    assert compared["median_per_10k"] == round((brest + quimper) / 2, 3)
    below = sum(1 for v in (brest, quimper) if v < mine) + 0.5 * sum(
        1 for v in (brest, quimper) if v == mine
    )
    assert compared["percentile"] == round(100 * below / 2, 1)
    assert compared["note"] == ""


def test_the_current_national_layout_with_legal_units(tmp_path):
    """StockEtablissement with categorieJuridiqueUniteLegale and
    economieSocialeSolidaireUniteLegale: the legal form and the ESS flag choose the rule; the
    names of individual entrepreneurs never leave the file."""
    rows = [
        stock_row(siret="20000000000011", dateCreationEtablissement="2020-05-01",
                  etatAdministratifEtablissement="A", activitePrincipaleEtablissement="47.11C",
                  categorieJuridiqueUniteLegale="9220", economieSocialeSolidaireUniteLegale="O",
                  codeCommuneEtablissement="35238", dateDebut="2020-05-01"),
        stock_row(siret="20000000000022", dateCreationEtablissement="2021-03-15",
                  etatAdministratifEtablissement="F", dateDebut="2023-06-30",
                  activitePrincipaleEtablissement="35.11Z", categorieJuridiqueUniteLegale="5710",
                  economieSocialeSolidaireUniteLegale="O", codeCommuneEtablissement="35238"),
        stock_row(siret="20000000000033", dateCreationEtablissement="2022-01-10",
                  etatAdministratifEtablissement="A", activitePrincipaleEtablissement="35.11Z",
                  categorieJuridiqueUniteLegale="1000", economieSocialeSolidaireUniteLegale="N",
                  nomUniteLegale="DUPONTEL", prenom1UniteLegale="JEANNOT",
                  codeCommuneEtablissement="35238", dateDebut="2022-01-10"),
        stock_row(siret="20000000000044", dateCreationEtablissement="2022-09-01",
                  etatAdministratifEtablissement="A", activitePrincipaleEtablissement="62.01Z",
                  categorieJuridiqueUniteLegale="5560", economieSocialeSolidaireUniteLegale="O",
                  codeCommuneEtablissement="35238", dateDebut="2022-09-01"),
        stock_row(siret="20000000000055", dateCreationEtablissement="2023-02-01",
                  etatAdministratifEtablissement="A", activitePrincipaleEtablissement="47.11C",
                  categorieJuridiqueUniteLegale="5499", economieSocialeSolidaireUniteLegale="N",
                  codeCommuneEtablissement="35238", dateDebut="2023-02-01"),
        stock_row(siret="20000000000066", etatAdministratifEtablissement="A",
                  activitePrincipaleEtablissement="95.29Z", codeCommuneEtablissement="35238"),
        stock_row(siret="20000000000077", dateCreationEtablissement="2021-01-01",
                  etatAdministratifEtablissement="A", activitePrincipaleEtablissement="95.29Z",
                  codePaysEtrangerEtablissement="99131", libellePaysEtrangerEtablissement="BELGIQUE"),
    ]  # fmt: skip
    path = write_csv(tmp_path / "StockEtablissement_utf8.csv", STOCK_HEADER, rows)
    summary = import_periods(path, "2024-12-31")
    assert summary["layout"] == "stock-etablissement"
    assert summary["outcomes"] == {"used": 5, "skipped": 2, "rejected": 0}
    assert summary["reasons"] == {"date de création inconnue": 1, "établissement à l'étranger": 1}
    assert any("StockEtablissement" in note for note in summary["notes"])
    (source,) = selectors.emergence("com:35238")["sources"]
    categories = {code: figures["creations"] for code, figures in source["categories"].items()}
    assert categories == {
        "supermarche-cooperatif": {"2020": 1},  # 47.11 by an association
        "energie-citoyenne": {"2021": 1},  # 35.11Z by an ESS company
        "cooperative-territoriale": {"2022": 1},  # « autre SA coopérative » of the ESS
    }
    assert source["categories"]["energie-citoyenne"]["closures"] == {"2023": 1}
    assert source["practices"]["creations"] == {"2020": 1, "2021": 1, "2022": 1}
    assert source["all_establishments"]["creations"] == {
        "2020": 1, "2021": 1, "2022": 2, "2023": 1,
    }  # fmt: skip
    assert source["categories"]["energie-citoyenne"]["stock"] == {"2021": 1, "2022": 1}
    assert set(RegisterCount.objects.values_list("legal_form", flat=True)) == {
        "9220", "5710", "1000", "5560", "5499",
    }  # fmt: skip
    stored = json.dumps(list(RegisterImport.objects.values()), default=str)
    assert "DUPONTEL" not in stored
    assert "JEANNOT" not in stored


def _state() -> list:
    return [
        sorted(RegisterImport.objects.values_list("source", "file_sha256", "current")),
        sorted(
            RegisterCount.objects.values_list(
                "territory_id",
                "naf",
                "nomenclature",
                "legal_form",
                "ess",
                "year",
                "creations",
                "closures",
                "reopenings",
                "stock",
            )
        ),  # fmt: skip
        sorted(RegisterSeries.objects.values_list("territory_id", "scope", "year", "creations")),
    ]


def test_the_same_file_again_changes_nothing(periods):
    first = import_periods(periods, VINTAGE)
    before = _state()
    again = import_periods(periods, VINTAGE)
    assert again["status"] == "up-to-date"
    assert again["id"] == first["id"]
    assert _state() == before
    # Another vintage is another reading: a new import replaces the counts.
    other = import_periods(periods, "2025-12-31")
    assert other["status"] == "done"
    assert other["id"] != first["id"]
    assert RegisterImport.objects.filter(source="essai").count() == 2
    assert RegisterImport.objects.filter(source="essai", current=True).count() == 1
    assert RegisterCount.objects.filter(run_id=first["id"]).count() == 0


def test_an_interrupted_import_leaves_the_database_as_it_was(periods, tmp_path):
    import_periods(periods, VINTAGE)
    before = _state()
    bigger = write_csv(
        tmp_path / "autre.csv",
        PERIODS_HEADER,
        [*ROWS, _period("16161616100014", "2022-01-01", "", "A", "77.21Z")],
    )

    def stop(message: str) -> None:
        if message.startswith("décomptes"):  # halfway through the writes: Ctrl-C
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_periods(bigger, VINTAGE, progress=stop)
    assert _state() == before


def test_a_file_refused_halfway_leaves_the_database_as_it_was(periods, tmp_path, settings):
    import_periods(periods, VINTAGE)
    before = _state()
    settings.MAILLAGE_IMPORT_MAX_ROWS = 10  # the 11th row stops the reading
    with pytest.raises(SourceFileError, match="plus de 10 lignes"):
        import_periods(write_csv(tmp_path / "b.csv", PERIODS_HEADER, ROWS[:-1]), VINTAGE)
    assert _state() == before


def test_a_dry_run_writes_nothing(periods):
    summary = import_periods(periods, VINTAGE, dry_run=True)
    assert summary["status"] == "dry-run"
    assert summary["outcomes"] == {"used": 14, "skipped": 4, "rejected": 5}
    assert not RegisterImport.objects.exists()
    assert not RegisterCount.objects.exists()


def test_the_command_prints_json_and_refuses_what_it_cannot_read(periods, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "registers", "sirene", str(periods), "--source", "essai", "--vintage", VINTAGE,
        stdout=out, stderr=err,
    )  # fmt: skip
    summary = json.loads(out.getvalue())
    assert summary["outcomes"] == {"used": 14, "skipped": 4, "rejected": 5}
    assert "écriture" in err.getvalue()
    shown = io.StringIO()
    call_command("registers", "show", "com:35238", "--naf", "95.2", stdout=shown)
    table = json.loads(shown.getvalue())
    codes = {c["code"]: c for c in table["sources"][0]["codes"]}
    assert set(codes) == {"95.23Z", "95.29Z"}
    assert codes["95.29Z"]["category"] == "repair-cafe"
    assert codes["95.29Z"]["years"]["2019"] == {
        "creations": 1, "closures": 0, "reopenings": 0, "stock": 1,
    }  # fmt: skip
    emergence = io.StringIO()
    call_command("registers", "show", "com:69123", "--emergence", stdout=emergence)
    assert json.loads(emergence.getvalue())["sources"][0]["coverage"]["status"] == "partial"
    with pytest.raises(CommandError, match="com:00000") as unknown:
        call_command("registers", "show", "com:00000", stdout=io.StringIO())
    assert unknown.value.returncode == 2
    listed = io.StringIO()
    call_command("registers", "list", stdout=listed)
    assert json.loads(listed.getvalue())[0]["source"] == "essai"
    wrong = write_csv(tmp_path / "autre.csv", ["id", "nom"], [["1", "x"]])
    for args, message in (
        ([str(tmp_path / "absent.csv")], "Fichier introuvable"),
        ([str(wrong)], "n'est pas un fichier SIRENE lisible"),
        ([str(periods), "--vintage", "hier"], "date illisible"),
    ):
        with pytest.raises(CommandError, match=message) as error:
            call_command("registers", "sirene", *args, stdout=io.StringIO(), stderr=io.StringIO())
        assert error.value.returncode == 2
    missing = write_csv(tmp_path / "incomplet.csv", ["siret", "dateDebut", "dateFin"], [])
    with pytest.raises(CommandError, match="colonnes obligatoires : etat / etatAdministratif"):
        call_command(
            "registers", "sirene", str(missing), stdout=io.StringIO(), stderr=io.StringIO()
        )
