"""The mapping proposal and CSV detection on the shapes of files people really have (issue
13: 1, 4, 6), each on a small constructed file: a list of digital-inclusion spaces with their
facilitators' names, an AMAP–producer table (two entities in one row), a CSV without header
whose spreadsheet ate the leading zeros."""

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from maillage.catalog.models import Initiative
from maillage.sources.backends.base import BackendOptions
from maillage.sources.backends.geojson import GeoJsonBackend
from maillage.sources.backends.json_records import JsonBackend
from maillage.sources.backends.tabular import CsvBackend, XlsxBackend
from maillage.sources.backends.tabular_mapping import (
    check_mapping,
    is_personal_column,
    propose,
    propose_mapping,
)
from maillage.sources.errors import RowRejected, SourceFileError
from maillage.sources.harvest import ImportRequest, run_import
from maillage.sources.models import HarvestItem, HarvestJob


def _write(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def _options(mapping: dict[str, Any]) -> BackendOptions:
    return BackendOptions(mapping=mapping)


def _parse_all(
    backend: CsvBackend | XlsxBackend | JsonBackend | GeoJsonBackend, path: Path
) -> list[Any]:
    """Each row's Candidate, or the RowRejected it raised."""
    results: list[Any] = []
    for row in backend.rows(path):
        try:
            results.append(backend.parse(row))
        except RowRejected as exc:
            results.append(exc)
    return results


# --- 1. a person's name is never the place's name ------------------------------------------

SPACES_HEADER = ["Espace numérique", "Commune", "Nom animateur", "Prénom animateur", "Téléphone", "Courriel", "lat", "lon"]  # fmt: skip
SPACES = [
    [
        "Espace public numérique de la médiathèque",
        "Vitré",
        "Durand",
        "Anne",
        "02 99 00 00 01",
        "anne.durand@example.org",
        "48.1236",
        "-1.2085",
    ],  # fmt: skip
    [
        "Point numérique CAF",
        "Fougères",
        "Martin",
        "Paul",
        "0299000002",
        "p.martin@example.org",
        "48.3524",
        "-1.1989",
    ],  # fmt: skip
    [
        "Cyberbase du centre social",
        "Redon",
        "Le Goff",
        "Léa",
        "02.99.00.00.03",
        "lea@example.org",
        "47.6513",
        "-2.0843",
    ],  # fmt: skip
]


def test_facilitators_columns_are_not_the_name(tmp_path: Path) -> None:
    backend = CsvBackend()
    results = _parse_all(backend, _write(tmp_path / "espaces.csv", [SPACES_HEADER, *SPACES]))
    mapping = backend.effective_mapping
    assert mapping is not None
    assert mapping["fields"]["name"] == "Espace numérique"
    assert mapping["fields"]["city"] == "Commune"
    assert mapping["fields"]["contact_name"] == ["Prénom animateur", "Nom animateur"]
    assert [c.name for c in results] == [row[0] for row in SPACES]
    assert not any("aucune colonne" in note for note in backend.notes)


def test_json_list_of_spaces_names_the_space_not_the_facilitator(tmp_path: Path) -> None:
    """The shape met: a JSON object holding one list of spaces, with lat/lon numbers."""
    spaces = [dict(zip(SPACES_HEADER, row, strict=True)) for row in SPACES]
    for space in spaces:
        space["lat"], space["lon"] = float(space["lat"]), float(space["lon"])  # type: ignore[assignment]
    path = tmp_path / "espaces.json"
    path.write_text(json.dumps({"espaces_numeriques": spaces}), encoding="utf-8")
    backend = JsonBackend()
    results = _parse_all(backend, path)
    mapping = backend.effective_mapping
    assert mapping is not None
    assert mapping["fields"]["name"] == "Espace numérique"
    assert [c.name for c in results] == [row[0] for row in SPACES]
    assert [c.lat for c in results] == [48.1236, 48.3524, 47.6513]


@pytest.mark.parametrize(
    ("header", "name"),
    [
        (["Nom animateur", "Lieu", "Ville"], "Lieu"),
        (["Responsable", "Structure", "Adresse"], "Structure"),
        (["Contact", "Nom du responsable", "Tiers-lieu", "CP"], "Tiers-lieu"),
        (["Nom et prénom", "Nom de l'espace", "Commune"], "Nom de l'espace"),
        (["Prénom", "Nom", "Raison sociale", "Adresse"], "Raison sociale"),
        (["Nom", "Enseigne", "Adresse"], "Nom"),  # « Nom » alone is the place's
        (["Nom référent", "Enseigne", "Adresse"], "Enseigne"),
        (["Nom_Contact", "Mail", "Espace France Services", "Ville"], "Espace France Services"),
        (["Tél. responsable", "Structure porteuse", "Ville"], "Structure porteuse"),
    ],
)
def test_the_place_column_is_preferred_to_a_person(header: list[str], name: str) -> None:
    assert propose_mapping(header)["fields"]["name"] == name


def test_personal_columns() -> None:
    personal = ["Nom animateur", "Prénom", "Tél.", "Courriel", "Responsable", "Nom du référent"]
    assert all(is_personal_column(c) for c in personal)
    places = ["Télécentre", "Espace mobile", "Lieu de médiation", "Nom", "Raison sociale"]
    assert not any(is_personal_column(c) for c in places)


def test_no_safe_name_column_rejects_the_rows_with_the_reason(tmp_path: Path) -> None:
    header = ["Commune", "Nom animateur", "Prénom animateur", "Téléphone", "lat", "lon"]
    rows = [[r[1], r[2], r[3], r[4], r[6], r[7]] for r in SPACES]
    backend = CsvBackend()
    results = _parse_all(backend, _write(tmp_path / "animateurs.csv", [header, *rows]))
    mapping = backend.effective_mapping
    assert mapping is not None
    assert "name" not in mapping["fields"]
    assert any(
        "aucune colonne sûre pour le nom du lieu : « Nom animateur » désigne une personne" in note
        and "--mapping" in note
        for note in backend.notes
    )
    assert all(isinstance(r, RowRejected) for r in results)
    assert "sans nom de lieu : la colonne « Nom animateur » désigne une personne" in str(results[0])

    # with a mapping naming the place's column, nothing is refused
    given = CsvBackend(_options({"fields": {"name": "Commune", "lat": "lat", "lon": "lon"}}))
    assert [c.name for c in _parse_all(given, tmp_path / "animateurs.csv")] == [
        "Vitré",
        "Fougères",
        "Redon",
    ]


@pytest.mark.django_db
def test_no_person_published_as_a_place(referential: Any, tmp_path: Path) -> None:
    header = ["Commune", "Nom animateur", "Téléphone", "lat", "lon"]
    rows = [[r[1], r[2], r[4], r[6], r[7]] for r in SPACES]
    path = _write(tmp_path / "animateurs.csv", [header, *rows])
    job = run_import(
        ImportRequest(backend="csv", path=path, source="t", category="tiers-lieu", dry_run=True)
    )
    assert (job.rows, job.outcomes["rejected"], job.outcomes["new"]) == (3, 3, 0)
    reasons = HarvestItem.objects.filter(job=job).values_list("reasons", flat=True)
    assert all(any("sans nom de lieu" in r for r in item) for item in reasons)
    assert any("aucune colonne sûre pour le nom du lieu" in n for n in job.notes)


def _spaces_geojson(path: Path, columns: list[str]) -> Path:
    """The spaces as GeoJSON points, with only the given properties."""
    features = []
    for row in SPACES:
        record = dict(zip(SPACES_HEADER, row, strict=True))
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [float(record["lon"]), float(record["lat"])],
                },
                "properties": {column: record[column] for column in columns},
            }
        )
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def test_geojson_names_the_space_not_the_facilitator(tmp_path: Path) -> None:
    path = _spaces_geojson(tmp_path / "espaces.geojson", SPACES_HEADER[:6])
    backend = GeoJsonBackend()
    results = _parse_all(backend, path)
    assert [c.name for c in results] == [row[0] for row in SPACES]
    assert any("correspondance proposée" in note for note in backend.notes)


def test_geojson_without_a_safe_name_says_so_and_rejects_its_rows(tmp_path: Path) -> None:
    path = _spaces_geojson(tmp_path / "animateurs.geojson", ["Commune", "Nom animateur"])
    backend = GeoJsonBackend()
    results = _parse_all(backend, path)
    assert any(
        "aucune colonne sûre pour le nom du lieu : « Nom animateur » désigne une personne" in note
        for note in backend.notes
    )
    assert all(isinstance(r, RowRejected) for r in results), results
    assert "sans nom de lieu" in str(results[0])
    # with a mapping naming the place's property, nothing is refused
    given = GeoJsonBackend(_options({"fields": {"name": "Commune"}}))
    assert [c.name for c in _parse_all(given, path)] == ["Vitré", "Fougères", "Redon"]


# --- 4. two entities in one table ------------------------------------------------------------

AMAP_HEADER = ["IdAmap", "NomAmap", "CommuneAmap", "LATAmap", "NomProd", "LATProd", "LONGProd", "CommuneExploitation", "Produits"]  # fmt: skip


def _amap_table(path: Path) -> Path:
    """Two AMAPs of Rennes, one row per (AMAP, producer) pair; producers in other towns."""
    rows = [AMAP_HEADER]
    for amap in (("a1", "AMAP du Blosne", "Rennes", "48.0862"), ("a2", "AMAP de Cleunay", "Rennes", "48.1026")):  # fmt: skip
        for producer in (("Ferme des Landes", "48.2", "-1.5", "Vitré", "légumes"), ("GAEC du Pré", "47.9", "-1.9", "Redon", "lait")):  # fmt: skip
            rows.append([*amap, *producer])
    return _write(path, rows)


def test_amap_producer_table_proposes_one_entity(tmp_path: Path) -> None:
    backend = CsvBackend()
    results = _parse_all(backend, _amap_table(tmp_path / "amap.csv"))
    mapping = backend.effective_mapping
    assert mapping is not None
    assert mapping["fields"] == {"remote_id": "IdAmap", "name": "NomAmap", "city": "CommuneAmap"}
    (note,) = [n for n in backend.notes if "plusieurs entités" in n]
    assert "(« Amap », « Prod », « Exploitation »)" in note
    assert "pour « Amap » seulement" in note
    assert note.endswith("laissées de côté : NomProd, LATProd, LONGProd, CommuneExploitation")
    assert {c.city for c in results} == {"Rennes"}
    assert all(c.lat is None for c in results)  # LATAmap alone: no producer's point


def test_amap_producer_table_keeps_the_amap_point_when_it_has_one() -> None:
    header = ["NomAmap", "LATAmap", "LONGAmap", "NomProd", "CodePostalProd", "LATProd", "LONGProd"]  # fmt: skip
    proposal = propose(header)
    assert proposal.mapping["fields"] == {"name": "NomAmap", "lat": "LATAmap", "lon": "LONGAmap"}
    assert "CodePostalProd, LATProd, LONGProd" in proposal.notes[0]


def test_owner_and_facility_prefixes_keep_the_facility() -> None:
    """Prefixed columns (COLL_ the owning authority, EQUIP_ the facility, ERP_ its safety
    class) and no name column proposed by itself: the entity with a name and the most fields
    is kept, with its own columns; unmarked address columns (ADR_ is a field word) stay."""
    header = ["COLL_NOM", "COLL_SIRET", "EQUIP_UID", "EQUIP_TYPE", "EQUIP_NOM", "ADR_CODEPOSTAL", "ADR_COMMUNE", "ERP_ID", "ERP_TYPE", "EQUIP_LAT", "EQUIP_LONG", "EQUIP_WEB"]  # fmt: skip
    proposal = propose(header)
    assert proposal.mapping["fields"] == {
        "name": "EQUIP_NOM",
        "postcode": "ADR_CODEPOSTAL",
        "city": "ADR_COMMUNE",
        "website": "EQUIP_WEB",
        "lat": "EQUIP_LAT",
        "lon": "EQUIP_LONG",
        "remote_id": "EQUIP_UID",
    }
    assert proposal.mapping["category"]["column"] == "EQUIP_TYPE"
    assert "pour « EQUIP » seulement" in proposal.notes[0]
    assert proposal.notes[0].endswith("côté : COLL_NOM, COLL_SIRET, ERP_ID, ERP_TYPE")


@pytest.mark.parametrize(
    "header",
    [
        # the carpooling base: one marker (…_lieu), not two entities
        [
            "id_lieu",
            "id_local",
            "nom_lieu",
            "ad_lieu",
            "com_lieu",
            "insee",
            "type",
            "date_maj",
            "Xlong",
            "Ylat",
        ],  # fmt: skip
        # the CGET census: a place and its employment zone (…_ZE), one name column
        ["ID", "NOM_TL", "CP", "INSEECOM", "NOMCOM", "LAT", "LONG", "INSEE_ZE", "NOM_ZE"],
        ["Nom", "Adresse", "Code postal", "Commune", "Latitude", "Longitude"],
    ],
)
def test_one_entity_files_get_no_entity_note(header: list[str]) -> None:
    proposal = propose(header)
    assert not [n for n in proposal.notes if "entités" in n]
    assert proposal.mapping["fields"]["name"] in ("nom_lieu", "NOM_TL", "Nom")


# --- 6. a CSV without header, leading zeros lost ---------------------------------------------

HEADERLESS = [
    [
        "Tiers-lieu La Fabrique",
        "12 rue des Écoles",
        "9500",
        "Mirepoix",
        "https://fabrique.example.org",
        "contact@fabrique.example.org",
        "Jeanne Petit",
        "134567890",
    ],  # fmt: skip
    [
        "Café associatif Le Lien",
        "3 place du Marché",
        "31000",
        "Toulouse",
        "https://lien.example.org",
        "bonjour@lien.example.org",
        "Marc Roux",
        "05.61.00.00.02",
    ],  # fmt: skip
    [
        "Ressourcerie du Val",
        "ZA des Prés",
        "32000",
        "Auch",
        "",
        "val@example.org",
        "Lucie Blanc",
        "0562000003",
    ],  # fmt: skip
    [
        "Fablab des Coteaux",
        "5 chemin de la Côte",
        "09100",
        "Pamiers",
        "http://coteaux.example.org",
        "fab@example.org",
        "Hugo Noir",
        "05 61 00 00 04",
    ],  # fmt: skip
    [
        "Jardin partagé Soleil",
        "18 avenue du Parc",
        "31400",
        "Toulouse",
        "https://soleil.example.org",
        "soleil@example.org",
        "Inès Vert",
        "561000005",
    ],  # fmt: skip
]


def test_headerless_csv_keeps_its_first_record(tmp_path: Path) -> None:
    backend = CsvBackend()
    results = _parse_all(backend, _write(tmp_path / "lieux.csv", HEADERLESS, ";"))
    assert len(results) == 5  # not 4: the first record is not a header
    assert [c.name for c in results] == [row[0] for row in HEADERLESS]
    (note,) = [n for n in backend.notes if "ressemble à des données" in n]
    assert "la ligne 1 ressemble à des données" in note
    assert "« 9500 » : code postal" in note
    assert "« colonne 1 » à « colonne 8 »" in note
    mapping = backend.effective_mapping
    assert mapping is not None
    assert mapping["header"] is False
    assert "header_row" not in mapping
    assert mapping["fields"] == {
        "name": 1,
        "address": 2,
        "postcode": 3,
        "city": 4,
        "website": 5,
        "contact_email": 6,
        "contact_phone": 8,
    }
    first = results[0]
    assert (first.postcode, first.city, first.contact_phone) == ("09500", "Mirepoix", "0134567890")  # fmt: skip
    assert "code postal 9500 complété en 09500" in first.notes[0]
    assert any("téléphone 134567890 complété en 0134567890" in n for n in first.notes)
    assert results[4].contact_phone == "0561000005"
    assert results[1].contact_phone == "05.61.00.00.02"  # already whole: untouched


def test_headerless_workbook_whose_codes_became_numbers(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in HEADERLESS:
        digits = row[7].replace(".", "").replace(" ", "")
        sheet.append([*row[:2], int(row[2]), *row[3:7], int(digits)])  # as a spreadsheet does
    path = tmp_path / "lieux.xlsx"
    workbook.save(path)
    backend = XlsxBackend()
    results = _parse_all(backend, path)
    assert [c.name for c in results] == [row[0] for row in HEADERLESS]
    assert any("la ligne 1 ressemble à des données" in n for n in backend.notes)
    assert [c.postcode for c in results] == ["09500", "31000", "32000", "09100", "31400"]
    assert [c.contact_phone for c in results] == [
        "0134567890",
        "0561000002",
        "0562000003",
        "0561000004",
        "0561000005",
    ]
    mapping = backend.effective_mapping
    assert mapping is not None
    assert mapping["header"] is False
    assert mapping["fields"]["name"] == 1


def test_headerless_mapping_by_position_and_forced_header(tmp_path: Path) -> None:
    path = _write(tmp_path / "lieux.csv", HEADERLESS)
    backend = CsvBackend(
        _options(
            {
                "header": False,
                "fields": {"name": 1, "address": [2], "postcode": 3, "city": "colonne 4"},
                "extra": [7],
            }
        )
    )
    results = _parse_all(backend, path)
    assert [(c.name, c.postcode) for c in results][:2] == [
        ("Tiers-lieu La Fabrique", "09500"),
        ("Café associatif Le Lien", "31000"),
    ]
    assert results[0].extra == {"colonne 7": "Jeanne Petit"}
    assert any("pas de ligne d'en-tête (correspondance)" in n for n in backend.notes)
    assert backend.effective_mapping is not None
    assert backend.effective_mapping["fields"]["city"] == 4

    # "header": true: the first line is the header, as asked
    forced = CsvBackend(_options({"header": True, "fields": {"name": "Tiers-lieu La Fabrique"}}))
    assert len(_parse_all(forced, path)) == 4

    beyond = CsvBackend(_options({"header": False, "fields": {"name": 9}}))
    with pytest.raises(SourceFileError, match="n° 9"):
        list(beyond.rows(path))


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"fields": {"name": 1}}, "un nom de colonne"),
        ({"header": "non", "fields": {}}, "« header » vaut true ou false"),
        ({"header": False, "header_row": 2, "fields": {"name": 1}}, "header_row"),
        ({"header": False, "fields": {"name": 0}}, "numéro de colonne"),
    ],
)
def test_positions_need_header_false(mapping: dict[str, Any], message: str) -> None:
    with pytest.raises(SourceFileError, match=message):
        check_mapping(mapping)


def test_headerless_csv_of_numbers_and_codes(tmp_path: Path) -> None:
    """No line looks like column names (half the cells are codes): still read from line 1."""
    rows = [[r[0], r[2], r[4], r[7]] for r in HEADERLESS]
    backend = CsvBackend()
    results = _parse_all(backend, _write(tmp_path / "codes.csv", rows))
    assert [c.name for c in results] == [row[0] for row in HEADERLESS]


def test_a_header_with_numbers_in_names_is_still_a_header(tmp_path: Path) -> None:
    rows = [
        ["Nom", "Adresse", "CP", "Ville"],
        ["Le Lien", "3 place du Marché", "31000", "Toulouse"],
    ]
    backend = CsvBackend()
    results = _parse_all(backend, _write(tmp_path / "ok.csv", rows))
    assert [c.name for c in results] == ["Le Lien"]
    assert not [n for n in backend.notes if "ressemble à des données" in n]


@pytest.mark.django_db
def test_headerless_csv_with_postcode_and_town_places_every_record(
    referential: Any, tmp_path: Path
) -> None:
    """The issue's file end to end: no header, no coordinates, no INSEE code, a postcode
    that lost its 0. Every record is read, and placed by its postcode and town."""
    path = _write(tmp_path / "lieux.csv", HEADERLESS, ";")
    job = run_import(ImportRequest(backend="csv", path=path, source="t", category="tiers-lieu"))
    assert job.status == HarvestJob.Status.DONE, (job.error, job.notes)
    assert job.rows == 5
    assert job.outcomes["new"] == 5
    assert any("ressemble à des données" in n for n in job.notes)
    items = {i.row_number: i for i in HarvestItem.objects.filter(job=job)}
    assert items[1].raw["colonne 1"] == HEADERLESS[0][0]
    communes = [items[n].commune_id for n in range(1, 6)]
    # Mirepoix (its « 9500 » read as 09500), Toulouse, Auch, Pamiers, Toulouse
    assert communes == ["com:09194", "com:31555", "com:32013", "com:09225", "com:31555"]
    assert {i.commune_method for i in Initiative.objects.all()} == {"postcode"}
    assert {i.location_precision for i in Initiative.objects.all()} == {"commune"}
    assert Initiative.objects.get(name=HEADERLESS[0][0]).postcode == "09500"


def test_year_columns_are_a_header(tmp_path: Path) -> None:
    rows = [["Nom", "Commune", "Type", "2020"], ["Le Lien", "Toulouse", "café", "14"]]
    backend = CsvBackend(
        _options({"fields": {"name": "Nom", "city": "Commune"}, "extra": ["2020"]})
    )
    (candidate,) = _parse_all(backend, _write(tmp_path / "annees.csv", rows))
    assert candidate.extra == {"2020": "14"}
