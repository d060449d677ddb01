"""The generic csv / xlsx backends, on the real carpooling base and CGET tiers-lieux census,
and on variants of their real rows written the ways French open data gets written."""

import csv
import datetime
import json
import math
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from pyproj import Transformer

from maillage.sources.backends import get_backend
from maillage.sources.backends.base import BackendOptions
from maillage.sources.backends.tabular import (
    CELLS_MISMATCH_KEY,
    EXTRA_CELLS_KEY,
    CsvBackend,
    XlsxBackend,
    propose_mapping,
)
from maillage.sources.backends.tabular_mapping import MAPPING_KEYS
from maillage.sources.errors import RowRejected, SourceFileError
from maillage.sources.mappings import MappingError, load_mapping
from maillage.sources.records import Candidate, RawRow

BNLC = "bnlc-covoiturage/bnlc.csv"
CGET = "tiers-lieux-cget-2019/CGET_TiersLieux_2019.csv"
CGET_MAPPING: dict[str, Any] = {
    "fields": {
        "remote_id": "ID",
        "name": "NOM_TL",
        "address": "ADRESSE",
        "postcode": "CP",
        "city": "NOMCOM",
        "insee_code": "INSEECOM",
        "website": "WEB",
        "lat": "LAT",
        "lon": "LONG",
    },
    "coordinates": "wgs84",
    "category": {
        "column": "TYPO",
        "values": {
            "Tiers lieux à dominante fablab": "fablab",
            "Tiers lieux à dominante coworking": "coworking",
        },
    },
}
TO_LAMBERT = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)


def read_all(backend: CsvBackend | XlsxBackend, path: Path) -> list[tuple[RawRow, Candidate]]:
    return [(row, backend.parse(row)) for row in backend.rows(path)]


def real_rows(raw_data: Path, name: str, count: int) -> list[dict[str, str]]:
    with (raw_data / name).open(encoding="utf-8", newline="") as handle:
        return [row for _, row in zip(range(count), csv.DictReader(handle), strict=False)]


def write_csv(
    path: Path, header: list[str], rows: list[list[str]], encoding: str, delimiter: str
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows([header, *rows])
    return path


# --- the real files -------------------------------------------------------------------------


@pytest.mark.real_data
def test_carpooling_base_with_proposed_mapping(raw_data: Path) -> None:
    backend = CsvBackend()
    parsed = read_all(backend, raw_data / BNLC)

    assert len(parsed) == 2473
    mapping = backend.effective_mapping
    assert mapping is not None
    assert mapping["fields"]["lat"] == "Ylat"
    assert mapping["fields"]["lon"] == "Xlong"
    assert mapping["fields"]["insee_code"] == "insee"
    assert mapping["fields"]["remote_id"] == "id_lieu"
    assert mapping["fields"]["name"] == "nom_lieu"
    assert mapping["fields"]["address"] == "ad_lieu"
    assert mapping["coordinates"] == "auto"
    assert mapping["category"]["column"] == "type"
    # After the pass, every category value met is listed for the user to fill in.
    assert mapping["category"]["values"]["Aire de covoiturage"] == ""
    assert "séparateur détecté : virgule « , »" in backend.notes

    row, first = parsed[0]
    assert row.number == 1
    assert row.remote_id == "01004-C-002"
    assert row.data["nom_lieu"] == "Arrêt covoit'ici Ambérieu en Bugey"
    assert first.name == "Arrêt covoit'ici Ambérieu en Bugey"
    assert first.insee_code == "01004"  # leading zero kept
    assert first.lat == pytest.approx(45.954232106707)
    assert first.lon == pytest.approx(5.34272020620408)
    assert first.source_updated_on == datetime.date(2022, 7, 11)
    assert first.category == ""  # no table yet: the engine sends it to « à classer »
    assert len({row.remote_id for row, _ in parsed}) == 2473
    assert all(c.lat is not None and c.lon is not None for _, c in parsed)
    # The outlier date is read as written; judging it is the engine's job.
    templeuve = next(c for r, c in parsed if r.remote_id == "59242-C-001")
    assert templeuve.source_updated_on == datetime.date(2026, 12, 13)


@pytest.mark.real_data
def test_carpooling_base_with_category_option(raw_data: Path) -> None:
    backend = CsvBackend(BackendOptions(category="covoiturage"))
    parsed = read_all(backend, raw_data / BNLC)

    assert {c.category for _, c in parsed} == {"covoiturage"}
    assert parsed[0][1].category_rule == "--category covoiturage (toute la source)"


@pytest.mark.real_data
def test_cget_census_with_mapping(raw_data: Path) -> None:
    backend = CsvBackend(BackendOptions(mapping=CGET_MAPPING))
    parsed = read_all(backend, raw_data / CGET)

    assert len(parsed) == 1512
    assert backend.notes[0] == "encodage détecté : UTF-8"
    categories = [c.category for _, c in parsed]
    assert categories.count("coworking") == 1118
    assert categories.count("fablab") == 345
    assert categories.count("") == 49
    fablab = next(c for _, c in parsed if c.category == "fablab")
    assert fablab.category_rule == "colonne TYPO = « Tiers lieux à dominante fablab » → fablab"
    unclassified = next(c for _, c in parsed if not c.category)
    assert "catégorie vide (colonne TYPO)" in unclassified.notes

    row, ade = parsed[0]
    assert row.remote_id == "1"
    assert (ade.name, ade.postcode, ade.insee_code) == ("ADE Coworking", "44300", "44109")
    assert (ade.lat, ade.lon) == (pytest.approx(47.245935), pytest.approx(-1.505602))
    assert ade.city == "Nantes"
    # INSEECOM is "0" on 157 rows: a filler, not a code.
    zeros = [c for _, c in parsed if "code INSEE « 0 » ignoré (valeur de remplissage)" in c.notes]
    assert len(zeros) == 157
    assert all(c.insee_code == "" for c in zeros)


@pytest.mark.real_data
def test_cget_census_proposed_mapping(raw_data: Path) -> None:
    backend = CsvBackend()
    rows = list(backend.rows(raw_data / CGET))

    assert len(rows) == 1512
    mapping = backend.effective_mapping
    assert mapping is not None
    fields = mapping["fields"]
    assert (fields["lat"], fields["lon"], fields["insee_code"]) == ("LAT", "LONG", "INSEECOM")
    assert (fields["name"], fields["postcode"], fields["remote_id"]) == ("NOM_TL", "CP", "ID")
    # Personal data columns are mapped to contact fields, which the engine drops.
    assert (fields["contact_name"], fields["contact_email"]) == ("CONTACT", "MAIL")
    assert mapping["category"] == {"column": "TYPO", "values": {}}


# --- variants of real rows ------------------------------------------------------------------

CGET_COLUMNS = ["ID", "NOM_TL", "ADRESSE", "CP", "INSEECOM", "NOMCOM", "TYPO", "LAT", "LONG"]


@pytest.fixture
def cget_sample(raw_data: Path) -> list[dict[str, str]]:
    return [r for r in real_rows(raw_data, CGET, 40) if r["INSEECOM"] != "0"][:25]


def _expected(rows: list[dict[str, str]]) -> list[tuple[str, str, str, float, float]]:
    return [(r["NOM_TL"], r["CP"], r["INSEECOM"], float(r["LAT"]), float(r["LONG"])) for r in rows]


def _got(parsed: list[tuple[RawRow, Candidate]]) -> list[tuple[Any, ...]]:
    return [
        (c.name, c.postcode, c.insee_code, pytest.approx(c.lat), pytest.approx(c.lon))
        for _, c in parsed
    ]


@pytest.mark.parametrize(
    ("encoding", "delimiter", "decimal", "encoding_note", "delimiter_note"),
    [
        ("cp1252", ";", ",", "Windows-1252 (cp1252)", "point-virgule « ; »"),
        ("utf-8-sig", "\t", ".", "UTF-8 avec BOM", "tabulation « \t »"),
        ("utf-8", "|", ".", "UTF-8", "barre verticale « | »"),
        ("utf-8", ";", ",", "UTF-8", "point-virgule « ; »"),
        ("cp1252", ",", ",", "Windows-1252 (cp1252)", "virgule « , »"),
    ],
)
@pytest.mark.real_data
def test_detects_encoding_delimiter_and_decimal_comma(
    tmp_path: Path,
    cget_sample: list[dict[str, str]],
    encoding: str,
    delimiter: str,
    decimal: str,
    encoding_note: str,
    delimiter_note: str,
) -> None:
    rows = [
        [r[c].replace(".", decimal) if c in ("LAT", "LONG") else r[c] for c in CGET_COLUMNS]
        for r in cget_sample
    ]
    path = write_csv(tmp_path / "lieux.csv", CGET_COLUMNS, rows, encoding, delimiter)
    backend = CsvBackend()
    parsed = read_all(backend, path)

    assert _got(parsed) == _expected(cget_sample)
    assert backend.notes[0].startswith(f"encodage détecté : {encoding_note}")
    assert f"séparateur détecté : {delimiter_note}" in backend.notes
    assert ("nombres à virgule décimale (48,11) détectés" in backend.notes) == (decimal == ",")
    mapping = backend.effective_mapping
    assert mapping is not None
    assert (mapping["delimiter"], mapping["decimal"]) == (delimiter, decimal)
    # The effective mapping, saved and given back, reads the file the same way.
    again = CsvBackend(BackendOptions(mapping=json.loads(json.dumps(mapping))))
    assert _got(read_all(again, path)) == _expected(cget_sample)


def test_latin1_bytes_undefined_in_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("nom;lat;lon\nCafé \x81;48,1;-1,6\n".encode("latin-1"))
    backend = CsvBackend()
    [(_, candidate)] = read_all(backend, path)
    assert candidate.name == "Café \x81"
    assert backend.notes[0].startswith("encodage détecté : Latin-1")


@pytest.mark.real_data
def test_title_lines_above_the_header(tmp_path: Path, cget_sample: list[dict[str, str]]) -> None:
    path = tmp_path / "export.csv"
    with path.open("w", encoding="cp1252", newline="") as handle:
        handle.write("Liste des tiers-lieux;;;;;;;;\r\nExtraction du 12/03/2019;;;;;;;;\r\n\r\n")
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(CGET_COLUMNS)
        writer.writerows([[r[c] for c in CGET_COLUMNS] for r in cget_sample])
        handle.write(";;;;;;;;\r\n\r\n")  # trailing empty lines, as spreadsheets leave them
    backend = CsvBackend()
    parsed = read_all(backend, path)

    assert _got(parsed) == _expected(cget_sample)
    assert parsed[0][0].number == 1
    assert any("avant l'en-tête ignorée(s)" in note for note in backend.notes)
    assert "2 ligne(s) vide(s) ignorée(s)" in backend.notes
    mapping = backend.effective_mapping
    assert mapping is not None
    assert mapping["header_row"] == 4


@pytest.mark.real_data
def test_lambert93_columns_round_trip(tmp_path: Path, raw_data: Path) -> None:
    rows = real_rows(raw_data, BNLC, 30)
    points = [TO_LAMBERT.transform(float(r["Xlong"]), float(r["Ylat"])) for r in rows]
    path = write_csv(
        tmp_path / "l93.csv",
        ["id", "nom", "X", "Y"],
        [
            [
                r["id_lieu"],
                r["nom_lieu"],
                f"{x:.2f}".replace(".", ","),
                f"{y:.2f}".replace(".", ","),
            ]
            for r, (x, y) in zip(rows, points, strict=True)
        ],
        "utf-8",
        ";",
    )
    backend = CsvBackend()
    parsed = read_all(backend, path)

    mapping = backend.effective_mapping
    assert mapping is not None
    assert (mapping["fields"]["lon"], mapping["fields"]["lat"]) == ("X", "Y")
    assert mapping["coordinates"] == "auto"
    for (_, candidate), row, (x, y) in zip(parsed, rows, points, strict=True):
        assert "coordonnées Lambert-93 converties en WGS84" in candidate.notes
        back_x, back_y = TO_LAMBERT.transform(candidate.lon, candidate.lat)
        assert math.hypot(back_x - x, back_y - y) < 1.0
        assert candidate.lon == pytest.approx(float(row["Xlong"]), abs=1e-5)
        assert candidate.lat == pytest.approx(float(row["Ylat"]), abs=1e-5)


def test_lambert93_named_columns_are_proposed_as_such() -> None:
    mapping = propose_mapping(["Nom", "X_L93", "Y_L93"])
    assert mapping["fields"] == {"name": "Nom", "lat": "Y_L93", "lon": "X_L93"}
    assert mapping["coordinates"] == "lambert93"


@pytest.mark.real_data
def test_one_lat_lon_column(tmp_path: Path, raw_data: Path) -> None:
    rows = real_rows(raw_data, BNLC, 10)
    path = write_csv(
        tmp_path / "geo.csv",
        ["Nom", "Code INSEE", "geo_point_2d"],
        [[r["nom_lieu"], r["insee"], f"{r['Ylat']}, {r['Xlong']}"] for r in rows],
        "utf-8",
        ",",
    )
    backend = CsvBackend()
    parsed = read_all(backend, path)

    mapping = backend.effective_mapping
    assert mapping is not None
    assert mapping["latlon_column"] == "geo_point_2d"
    assert "lat" not in mapping["fields"]
    assert [(c.lat, c.lon) for _, c in parsed] == [
        (pytest.approx(float(r["Ylat"])), pytest.approx(float(r["Xlong"]))) for r in rows
    ]
    assert [c.insee_code for _, c in parsed] == [r["insee"] for r in rows]


def test_four_digit_insee_code_and_postcode_are_padded(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text("Nom;Code postal;Code INSEE\nArrêt covoit'ici;1500;1004\n", encoding="utf-8")
    [(_, candidate)] = read_all(CsvBackend(), path)

    assert (candidate.postcode, candidate.insee_code) == ("01500", "01004")
    assert (
        "code INSEE 1004 complété en 01004 (zéro initial perdu, sans doute par un tableur)"
        in candidate.notes
    )
    assert any(note.startswith("code postal 1500 complété en 01500") for note in candidate.notes)


@pytest.mark.real_data
def test_xlsx_workbook(tmp_path: Path, raw_data: Path) -> None:
    rows = real_rows(raw_data, BNLC, 20)
    workbook = Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["Cette feuille n'est pas la bonne"])
    sheet = workbook.create_sheet("Aires")
    sheet.append(["Aires de covoiturage de l'Ain"])
    sheet.append(["Identifiant", "Nom", "Code INSEE", "Latitude", "Longitude", "Mise à jour"])
    for index, r in enumerate(rows, start=1):
        insee = int(r["insee"]) if r["insee"].isdigit() else r["insee"]  # as Excel keeps it
        day = datetime.datetime.fromisoformat(r["date_maj"])
        sheet.append([index, r["nom_lieu"], insee, float(r["Ylat"]), float(r["Xlong"]), day])
    sheet.append([None, None, None])
    path = tmp_path / "aires.xlsx"
    workbook.save(path)

    by_name = XlsxBackend(BackendOptions(mapping={"fields": {"name": "Nom"}, "sheet": "Aires"}))
    assert [c.name for _, c in read_all(by_name, path)] == [r["nom_lieu"] for r in rows]
    missing = XlsxBackend(BackendOptions(mapping={"fields": {"name": "Nom"}, "sheet": "Feuil1"}))
    with pytest.raises(
        SourceFileError, match="feuille « Feuil1 » introuvable ; feuilles : Notes, Aires"
    ):
        list(missing.rows(path))

    mapping = propose_mapping(
        ["Identifiant", "Nom", "Code INSEE", "Latitude", "Longitude", "Mise à jour"]
    )
    backend = XlsxBackend(BackendOptions(mapping={**mapping, "sheet": 2}))
    parsed = read_all(backend, path)
    assert len(parsed) == 20
    row, first = parsed[0]
    assert row.remote_id == "1"
    assert row.data["Mise à jour"] == "2022-07-11T00:00:00"
    json.dumps(row.data)  # raw rows are stored as JSON
    assert first.insee_code == "01004"
    assert "code INSEE 1004 complété en 01004" in first.notes[0]
    assert (first.lat, first.lon) == (pytest.approx(45.954232106707), pytest.approx(5.3427202))
    assert first.source_updated_on == datetime.date(2022, 7, 11)
    assert "feuille « Aires »" in backend.notes
    assert "1 ligne(s) avant l'en-tête ignorée(s)" in backend.notes


def test_xlsx_first_sheet_by_default(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.active.append(["nom", "adresse", "commune"])
    workbook.active.append(["Repair café", "1 place de la Mairie", "Rennes", "en trop"])
    path = tmp_path / "classeur.xlsx"
    workbook.save(path)

    backend = XlsxBackend()
    [row] = list(backend.rows(path))
    assert row.data[CELLS_MISMATCH_KEY] == [3, 4]
    assert row.data[EXTRA_CELLS_KEY] == ["en trop"]
    with pytest.raises(RowRejected, match="4 cellule"):
        backend.parse(row)


# --- files that are not what they claim -----------------------------------------------------


def _truncated_xlsx(tmp_path: Path) -> Path:
    workbook = Workbook()
    workbook.active.append(["nom", "lat", "lon"])
    for index in range(200):
        workbook.active.append([f"lieu {index}", 48.1, -1.6])
    whole = tmp_path / "whole.xlsx"
    workbook.save(whole)
    assert zipfile.is_zipfile(whole)
    data = whole.read_bytes()
    path = tmp_path / "tronque.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.parametrize(
    ("backend_name", "filename", "content", "message"),
    [
        (
            "csv",
            "export.csv",
            b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head></html>",
            "page web \\(HTML\\)",
        ),
        ("csv", "export.csv", b"  <HTML><body>Erreur</body></HTML>", "page web"),
        ("csv", "image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "binaire"),
        ("csv", "vide.csv", b"", "vide"),
        ("csv", "vide.csv", b"\xef\xbb\xbf\r\n\r\n", "vide"),
        ("csv", "classeur.csv", b"PK\x03\x04" + b"x" * 100, "classeur XLSX"),
        ("csv", "chiffres.csv", b"1,2,3\n4,5,6\n7,8,9\n", "en-tête introuvable"),
        ("xlsx", "vide.xlsx", b"", "vide"),
        ("xlsx", "erreur.xlsx", b"<!doctype html><html></html>", "page web"),
        ("xlsx", "faux.xlsx", b"nom,lat,lon\nA,1,2\n", "pas un classeur XLSX"),
        ("xlsx", "ancien.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "\\.xls"),
    ],
)
def test_not_a_table(
    tmp_path: Path, backend_name: str, filename: str, content: bytes, message: str
) -> None:
    path = tmp_path / filename
    path.write_bytes(content)
    backend = get_backend(backend_name)
    with pytest.raises(SourceFileError, match=message) as raised:
        next(iter(backend.rows(path)))
    assert raised.value.code == "source-file-invalid"
    assert filename in str(raised.value)


def test_binary_bytes_late_in_the_file_fail_before_any_row(tmp_path: Path) -> None:
    path = tmp_path / "corrompu.csv"
    path.write_bytes(b"nom;lat;lon\n" + b"Lieu;48,1;-1,6\n" * 50_000 + b"\x00\x00\x00\x00")
    rows = CsvBackend().rows(path)
    with pytest.raises(SourceFileError, match="binaire"):
        next(rows)


def test_truncated_xlsx(tmp_path: Path) -> None:
    path = _truncated_xlsx(tmp_path)
    with pytest.raises(SourceFileError, match="tronqué ou endommagé"):
        list(XlsxBackend().rows(path))


# --- rows ------------------------------------------------------------------------------------


def test_wrong_cell_counts_are_yielded_then_rejected(tmp_path: Path) -> None:
    path = tmp_path / "decale.csv"
    path.write_text(
        "nom,adresse,commune\n"
        "Repair café,1 rue Haute,Rennes\n"
        "Fablab,2 rue Basse,Rennes,en trop\n"
        "AMAP,Nantes\n"
        "Jardin,3 rue,Brest,,\n"  # trailing empty cells only: a normal row
        ",,\n",
        encoding="utf-8",
    )
    backend = CsvBackend()
    rows = list(backend.rows(path))

    assert [r.number for r in rows] == [1, 2, 3, 4]
    assert rows[1].data[CELLS_MISMATCH_KEY] == [3, 4]
    assert rows[1].data[EXTRA_CELLS_KEY] == ["en trop"]
    assert rows[2].data[CELLS_MISMATCH_KEY] == [3, 2]
    assert CELLS_MISMATCH_KEY not in rows[3].data
    assert backend.parse(rows[0]).name == "Repair café"
    assert backend.parse(rows[3]).city == "Brest"
    for row in rows[1:3]:
        with pytest.raises(RowRejected, match=r"cellule\(s\) au lieu de 3"):
            backend.parse(row)
    assert "1 ligne(s) vide(s) ignorée(s)" in backend.notes


@pytest.mark.parametrize(
    ("content", "header"),
    [
        # a title without delimiters, then an Excel export padding every line
        ("Tiers-lieux 2019\nnom;lat;lon;;\nA;48,1;-1,6;;\nB;47;-2;;\n", ["nom", "lat", "lon"]),
        # data lines ending with a delimiter the header does not have
        ("nom,lat,lon\nA,48.1,-1.6,\nB,47,-2,\n", ["nom", "lat", "lon"]),
        # an unnamed last column that the data fills
        ("nom,lat,lon,\nA,48.1,-1.6,x\nB,47,-2,y\n", ["nom", "lat", "lon", "colonne_4"]),
    ],
)
def test_ragged_exports(tmp_path: Path, content: str, header: list[str]) -> None:
    path = tmp_path / "export.csv"
    path.write_text(content, encoding="utf-8")
    backend = CsvBackend()
    parsed = read_all(backend, path)

    assert backend.header == header
    assert [(c.name, c.lat, c.lon) for _, c in parsed] == [("A", 48.1, -1.6), ("B", 47.0, -2.0)]


def test_quoted_cells_with_line_breaks_and_delimiters(tmp_path: Path) -> None:
    path = tmp_path / "multi.csv"
    path.write_text(
        'nom,adresse,commune\n"Repair café, le lundi","1 rue Haute\nBâtiment B",Rennes\n'
        'Fablab,"2 rue ""Basse""",Brest\n',
        encoding="utf-8",
    )
    parsed = read_all(CsvBackend(), path)
    assert [(r.number, c.name, c.address) for r, c in parsed] == [
        (1, "Repair café, le lundi", "1 rue Haute Bâtiment B"),
        (2, "Fablab", '2 rue "Basse"'),
    ]
    assert parsed[0][0].data["adresse"] == "1 rue Haute\nBâtiment B"  # raw row as received


def test_row_without_name_address_or_coordinates(tmp_path: Path) -> None:
    path = tmp_path / "trous.csv"
    path.write_text("nom;code postal;lat;lon\n;35000;;\n;;48,1;-1,6\n", encoding="utf-8")
    backend = CsvBackend()
    empty, located = list(backend.rows(path))

    with pytest.raises(RowRejected, match="ligne vide ou sans nom, ni adresse, ni coordonnées"):
        backend.parse(empty)
    assert (backend.parse(located).lat, backend.parse(located).lon) == (48.1, -1.6)


def test_unreadable_values_become_notes(tmp_path: Path) -> None:
    path = tmp_path / "sale.csv"
    path.write_text(
        "nom;cp;insee;lat;lon;date_creation;type\n"
        "Lieu;750;ABCDE;nord;-1,6;31/02/2020;Épicerie solidaire\n",
        encoding="utf-8",
    )
    [(_, candidate)] = read_all(CsvBackend(), path)

    assert (candidate.postcode, candidate.lat, candidate.created_on) == ("", None, None)
    assert candidate.insee_code == "ABCDE"  # kept as declared: the engine explains
    assert candidate.notes == [
        "code postal « 750 » non reconnu (5 chiffres attendus)",
        "code INSEE « ABCDE » mal formé",
        "date « 31/02/2020 » illisible (colonne date_creation)",
        "coordonnées illisibles (« nord », « -1,6 »)",
        "catégorie « Épicerie solidaire » (colonne type) absente de la correspondance",
    ]


# --- mapping ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            ["Nom", "Adresse", "Code postal", "Ville", "Code INSEE", "Latitude", "Longitude"],
            {
                "name": "Nom",
                "address": "Adresse",
                "postcode": "Code postal",
                "city": "Ville",
                "insee_code": "Code INSEE",
                "lat": "Latitude",
                "lon": "Longitude",
            },
        ),
        (
            ["name", "address", "postcode", "city", "lat", "lng", "website", "category"],
            {
                "name": "name",
                "address": "address",
                "postcode": "postcode",
                "city": "city",
                "lat": "lat",
                "lon": "lng",
                "website": "website",
            },
        ),
        (
            ["LIBELLÉ", "CODGEO", "CP", "COMMUNE", "Site web", "SIRET", "N° RNA", "Identifiant"],
            {
                "name": "LIBELLÉ",
                "insee_code": "CODGEO",
                "postcode": "CP",
                "city": "COMMUNE",
                "website": "Site web",
                "siret": "SIRET",
                "rna": "N° RNA",
                "remote_id": "Identifiant",
            },
        ),
        (
            ["nom_structure", "code_commune", "x", "y", "Catégorie", "url"],
            {
                "name": "nom_structure",
                "insee_code": "code_commune",
                "lon": "x",
                "lat": "y",
                "website": "url",
            },
        ),
        (["Intitulé", "Latitude seule"], {"name": "Intitulé"}),  # a lone latitude is useless
    ],
)
def test_propose_mapping(header: list[str], expected: dict[str, str]) -> None:
    assert propose_mapping(header)["fields"] == expected


def test_propose_mapping_category_and_pair_column() -> None:
    mapping = propose_mapping(["Nom du lieu", "Catégorie", "Coordonnées"])
    assert mapping["category"] == {"column": "Catégorie", "values": {}}
    assert mapping["latlon_column"] == "Coordonnées"


def test_given_mapping_matches_columns_loosely_and_keeps_extra(tmp_path: Path) -> None:
    path = tmp_path / "ess.csv"
    path.write_text(
        "N°;Nom de la structure;Num voie;Voie;Statut;Places;Type\n"
        "12;Ressourcerie du Pays;3;rue des Lilas;ouverte;40;Ressourcerie, Repair café\n",
        encoding="utf-8",
    )
    mapping = {
        "fields": {
            "remote_id": "n°",
            "name": "NOM DE LA STRUCTURE",
            "address": ["num voie", "voie"],
        },
        "status": {"column": "statut", "values": {"Ouverte": "actif"}},
        "category": {
            "column": "type",
            "separator": ",",
            "values": {"ressourcerie": "ressourcerie", "repair cafe": "repair-cafe"},
        },
        "extra": ["places"],
    }
    backend = CsvBackend(BackendOptions(mapping=mapping))
    [(row, candidate)] = read_all(backend, path)

    assert row.remote_id == "12"
    assert candidate.name == "Ressourcerie du Pays"
    assert candidate.address == "3 rue des Lilas"
    assert candidate.status == "actif"
    assert candidate.category == "ressourcerie"
    assert candidate.secondary_categories == ["repair-cafe"]
    assert candidate.category_rule == "colonne Type = « Ressourcerie » → ressourcerie"
    assert candidate.extra == {"Places": "40"}
    effective = backend.effective_mapping
    assert effective is not None
    assert effective["fields"]["address"] == ["Num voie", "Voie"]


def test_missing_mapped_column_fails_before_any_row(tmp_path: Path) -> None:
    path = tmp_path / "lieux.csv"
    path.write_text("nom,lat,lon\nA,48.1,-1.6\n", encoding="utf-8")
    backend = CsvBackend(
        BackendOptions(mapping={"fields": {"name": "NOM_TL", "lat": "LATITUDE", "lon": "lon"}})
    )
    with pytest.raises(SourceFileError, match="« NOM_TL », « LATITUDE »") as raised:
        next(iter(backend.rows(path)))
    assert "colonnes présentes : nom, lat, lon" in str(raised.value)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"colonnes": {}}, "clé\\(s\\) inconnue\\(s\\) colonnes"),
        ({"fields": {"nom": "NOM"}}, "champ\\(s\\) inconnu\\(s\\) nom"),
        ({"fields": {"lat": "LAT"}}, "vont ensemble"),
        ({"fields": {"name": "NOM"}, "coordinates": "l93"}, "wgs84"),
        (
            {"fields": {"name": "NOM"}, "status": {"column": "S", "values": {"x": "ouvert"}}},
            "ouvert",
        ),
        (
            {
                "fields": {"contact_email": "MAIL"},
                "keep_personal_data": {"fields": ["contact_email"]},
            },
            "base légale",
        ),
    ],
)
def test_malformed_mapping(tmp_path: Path, mapping: dict[str, Any], message: str) -> None:
    path = tmp_path / "lieux.csv"
    path.write_text("NOM,LAT,LON\nA,48.1,-1.6\n", encoding="utf-8")
    with pytest.raises(SourceFileError, match=message):
        next(iter(CsvBackend(BackendOptions(mapping=mapping)).rows(path)))


def test_load_mapping_json_and_yaml(tmp_path: Path) -> None:
    json_path = tmp_path / "cget.json"
    json_path.write_text(json.dumps(CGET_MAPPING, ensure_ascii=False), encoding="utf-8")
    yaml_path = tmp_path / "cget.yaml"
    yaml_path.write_text(
        "fields:\n"
        "  remote_id: ID\n  name: NOM_TL\n  address: ADRESSE\n  postcode: CP\n  city: NOMCOM\n"
        "  insee_code: INSEECOM\n  website: WEB\n  lat: LAT\n  lon: LONG\n"
        "coordinates: wgs84\n"
        "category:\n  column: TYPO\n  values:\n"
        "    Tiers lieux à dominante fablab: fablab\n"
        "    Tiers lieux à dominante coworking: coworking\n",
        encoding="utf-8",
    )
    assert load_mapping(json_path) == load_mapping(yaml_path) == CGET_MAPPING

    broken = tmp_path / "casse.json"
    broken.write_text('{"fields": {', encoding="utf-8")
    with pytest.raises(MappingError, match="pas du JSON valide"):
        load_mapping(broken)
    listed = tmp_path / "liste.yml"
    listed.write_text("- nom\n- lat\n", encoding="utf-8")
    with pytest.raises(MappingError, match="doit contenir un objet"):
        load_mapping(listed)


def test_parse_without_reading_the_file_first() -> None:
    backend = CsvBackend()
    candidate = backend.parse(RawRow(7, None, {"Nom": "Fablab", "Lat": "48,1", "Lon": "-1,6"}))
    assert (candidate.name, candidate.lat, candidate.lon) == ("Fablab", 48.1, -1.6)


def test_readme_documents_every_mapping_key() -> None:
    readme = (Path(__file__).resolve().parents[4] / "README.md").read_text(encoding="utf-8")
    title = "### Fichiers CSV et XLSX : correspondance des colonnes"
    assert title in readme
    section = readme.split(title, 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    for key in MAPPING_KEYS:
        assert f"`{key}`" in section, key
