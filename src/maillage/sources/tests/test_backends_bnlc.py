"""`bnlc` backend on the real national carpooling-places base (no database, no network)."""

import csv
import datetime
import json
from collections import Counter
from pathlib import Path

import pytest

from maillage.sources.backends import BackendOptions, get_backend
from maillage.sources.backends.bnlc import carrier_from_owner
from maillage.sources.errors import SourceFileError
from maillage.sources.records import RawRow


@pytest.fixture(scope="module")
def bnlc_file(raw_data: Path) -> Path:
    return raw_data / "bnlc-covoiturage" / "bnlc.csv"


@pytest.fixture(scope="module")
def parsed(bnlc_file: Path) -> list:
    backend = get_backend("bnlc")
    return [(row, backend.parse(row)) for row in backend.rows(bnlc_file)]


def schema_030_columns(raw_data: Path) -> list[str]:
    schema = raw_data / "schemas" / "etalab__schema-lieux-covoiturage.schema.json"
    data = json.loads(schema.read_text("utf-8"))
    assert data["version"] == "0.3.0"
    return [f["name"] for f in data["fields"]]


def write_csv(path: Path, columns: list[str], rows: list[dict], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.mark.real_data
def test_real_file_counts(parsed):
    rows = [row for row, _ in parsed]
    candidates = [candidate for _, candidate in parsed]
    assert len(rows) == 2473
    assert [row.number for row in rows[:3]] == [1, 2, 3]
    assert len({row.remote_id for row in rows}) == 2473  # id_lieu is unique
    assert Counter(c.category for c in candidates) == {"covoiturage": 2391, "autostop-organise": 82}
    assert Counter(c.extra["type"] for c in candidates) == {
        "Aire de covoiturage": 1321,
        "Parking": 886,
        "Auto-stop": 82,
        "Supermarché": 80,
        "Parking relais": 60,
        "Sortie d'autoroute": 41,
        "Délaissé routier": 3,
    }
    assert Counter(c.status for c in candidates) == {"actif": 2462, "ferme": 11}
    assert all(c.lon is not None and c.lat is not None for c in candidates)
    assert all(c.source_updated_on is not None for c in candidates)
    assert all(c.exchange_modes == ["usage-partage"] for c in candidates)
    assert sum(1 for c in candidates if "source_siren" not in c.extra) == 149
    assert not [c.notes for c in candidates if c.notes]


@pytest.mark.real_data
def test_first_row_fields(parsed):
    row, candidate = parsed[0]
    assert row.remote_id == "01004-C-002"
    assert row.data["id_local"] == "SMT-305"  # the raw row as received
    assert candidate.name == "Arrêt covoit'ici Ambérieu en Bugey"
    assert candidate.address == "Gare d'Ambérieu en Bugey"
    assert candidate.city == "AMBERIEU-EN-BUGEY"
    assert candidate.insee_code == "01004"
    assert (candidate.lon, candidate.lat) == (5.34272020620408, 45.954232106707)
    assert candidate.location_precision == "exact"
    assert candidate.category == "autostop-organise"
    assert candidate.category_rule == "type = « Auto-stop » → autostop-organise"
    assert candidate.source_updated_on == datetime.date(2022, 7, 11)
    assert candidate.extra == {
        "type": "Auto-stop",
        "nbre_pl": 0,
        "source_siren": "240100883",
        "id_local": "SMT-305",
    }
    _, parking = parsed[1]
    assert parking.category == "covoiturage"
    assert parking.category_rule == "type = « Parking » → covoiturage"
    assert parking.extra["nbre_pl"] == 218


@pytest.mark.real_data
def test_future_date_is_kept_for_the_engine(parsed):
    """Row 59242-C-001 says 2026-12-13: parsed as is, the engine flags impossible dates."""
    [(row, candidate)] = [(r, c) for r, c in parsed if r.remote_id == "59242-C-001"]
    assert candidate.name == "Templeuve Leclerc"
    assert candidate.source_updated_on == datetime.date(2026, 12, 13)
    assert candidate.notes == []


@pytest.mark.real_data
def test_public_owner_becomes_carrier(parsed):
    carriers = Counter(c.carrier for _, c in parsed)
    assert carriers["acteur-public"] > 400
    assert set(carriers) == {"", "acteur-public"}


@pytest.mark.parametrize(
    ("owner", "carrier"),
    [
        ("Commune", "acteur-public"),
        ("Grenoble-Alpes Métropole", "acteur-public"),
        ("aire aménagée par le Département", "acteur-public"),
        ("CD88", "acteur-public"),
        ("ConseilDépartemental 67", "acteur-public"),
        ("Communauté de Communes du Sisteronais-Buëch", "acteur-public"),
        ("SANEF", ""),
        ("Partenariat AUCHAN et MEL", ""),
        ("Station PEVMEL", ""),
        ("", ""),
    ],
)
def test_carrier_from_owner(owner, carrier):
    assert carrier_from_owner(owner) == carrier


@pytest.mark.real_data
def test_schema_030_header(tmp_path, raw_data, bnlc_file):
    """The 0.3.0 schema has no id_lieu: the remote id is "<insee>-<id_local>"."""
    columns = schema_030_columns(raw_data)
    assert "id_lieu" not in columns
    with bnlc_file.open(encoding="utf-8", newline="") as handle:
        real = list(csv.DictReader(handle))
    path = write_csv(tmp_path / "bnlc-030.csv", columns, real)
    backend = get_backend("bnlc")
    rows = list(backend.rows(path))
    assert len(rows) == 2473
    assert "id_lieu" not in rows[0].data
    assert rows[0].remote_id == "01004-SMT-305"
    # Most national ids were built the same way, so they stay stable across the two headers.
    assert sum(row.remote_id == old["id_lieu"] for row, old in zip(rows, real, strict=True)) == 2020
    # The truth of the data: one producer gave the same id_local to two places of one commune.
    repeated = [k for k, n in Counter(row.remote_id for row in rows).items() if n > 1]
    assert repeated == ["16028-20_DRA16_028"]
    names = {backend.parse(r).name for r in rows if r.remote_id == "16028-20_DRA16_028"}
    assert names == {"L'Oisillon", "L'Avenue de L'Europe"}
    candidate = backend.parse(rows[0])
    assert candidate.category == "autostop-organise"
    assert candidate.insee_code == "01004"


@pytest.mark.real_data
def test_bom_and_cp1252(tmp_path, bnlc_file):
    with bnlc_file.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        sample = [next(reader) for _ in range(5)]
    for encoding in ("utf-8-sig", "cp1252"):
        path = write_csv(tmp_path / f"{encoding}.csv", columns, sample, encoding)
        backend = get_backend("bnlc")
        rows = list(backend.rows(path))
        assert [r.remote_id for r in rows][0] == "01004-C-002"
        assert backend.parse(rows[0]).name == "Arrêt covoit'ici Ambérieu en Bugey"


@pytest.mark.real_data
def test_missing_required_columns(tmp_path, bnlc_file):
    with bnlc_file.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = [c for c in reader.fieldnames or [] if c not in ("nom_lieu", "Ylat")]
        sample = [next(reader)]
    path = write_csv(tmp_path / "bnlc.csv", columns, sample)
    with pytest.raises(SourceFileError, match="colonne.*absente.*nom_lieu, Ylat"):
        list(get_backend("bnlc").rows(path))
    # Without id_lieu, id_local becomes required.
    columns = [c for c in columns if c not in ("id_lieu", "id_local")] + ["nom_lieu", "Ylat"]
    path = write_csv(tmp_path / "bnlc-030.csv", columns, sample)
    with pytest.raises(SourceFileError, match="id_local"):
        list(get_backend("bnlc").rows(path))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "page HTML"),
        (b"\xef\xbb\xbf<html><head><title>Erreur</title></head></html>", "page HTML"),
        (b"PK\x03\x04\x00\x00binary", "binaire"),
        (b"", "vide"),
    ],
)
def test_not_a_csv(tmp_path, content, message):
    path = tmp_path / "bnlc.csv"
    path.write_bytes(content)
    with pytest.raises(SourceFileError, match=message):
        list(get_backend("bnlc").rows(path))


def test_odd_values_become_notes():
    backend = get_backend("bnlc")
    data = {
        "id_lieu": "X-1",
        "nom_lieu": "Aire",
        "insee": "1004",
        "type": "Ligne de covoiturage",
        "date_maj": "13/12/2022",
        "ouvert": "peut-être",
        "Xlong": "abc",
        "Ylat": "",
        "proprio": "Mairie de Quelaines Saint-Gault",
        "nbre_pl": "dix",
    }
    candidate = backend.parse(RawRow(1, "X-1", data))
    assert candidate.source_updated_on is None
    assert candidate.status == ""
    assert candidate.lon is None
    assert candidate.insee_code == "01004"
    assert candidate.category == "covoiturage"
    assert candidate.carrier == "acteur-public"
    assert candidate.extra["nbre_pl"] == "dix"
    kinds = [note.split(" : ")[0] for note in candidate.notes]
    assert kinds == [
        "coordonnées illisibles",
        "code INSEE complété",
        "ouvert illisible",
        "date illisible",
    ]
    closed = backend.parse(RawRow(2, "X-2", dict(data, ouvert="false")))
    assert closed.status == "ferme"


def test_category_option_overrides():
    backend = get_backend("bnlc", BackendOptions(category="autopartage"))
    candidate = backend.parse(RawRow(1, "X", {"type": "Parking", "nom_lieu": "P"}))
    assert candidate.category == "autopartage"
    assert "--category autopartage" in candidate.category_rule
