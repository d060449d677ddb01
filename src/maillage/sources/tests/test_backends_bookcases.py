"""`bookcases` backend on the two real public-bookcase files.

Their licences are unclear (zonelivre) or non-commercial (boite-a-lire.com): no sample of them
is committed; the real files are read from the shared raw-data folder and the small files
written here are made up.
"""

import datetime
import json
from collections import Counter
from pathlib import Path

import pytest

from maillage.sources.backends import get_backend
from maillage.sources.backends.bookcases import BookcasesBackend
from maillage.sources.errors import SourceFileError

ZONELIVRE = "boites-a-livres-zonelivre/bookcases.geojson"
ZONELIVRE_OUTSIDE = "boites-a-livres-zonelivre/out-france-metro.geojson"
BOITE_A_LIRE = "boites-a-livres-boite-a-lire/bookcases_boite-a-lire_FR.geojson"


def parse_file(path: Path):
    backend = get_backend("bookcases")
    rows = list(backend.rows(path))
    return backend, rows, [backend.parse(row) for row in rows]


def made_up(tmp_path: Path, *properties: dict) -> Path:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [2.35, 48.85]},
            "properties": p,
        }
        for p in properties
    ]
    path = tmp_path / "boites.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


@pytest.mark.real_data
def test_zonelivre(raw_data):
    backend, rows, candidates = parse_file(raw_data / ZONELIVRE)
    assert backend.detect(raw_data / ZONELIVRE) == "zonelivre"
    assert len(rows) == 8649
    assert len({row.remote_id for row in rows}) == 8649
    assert Counter(c.category for c in candidates) == {"boites-a-livres": 8649}
    assert candidates[0].category_rule == "source de boîtes à livres → boites-a-livres (zonelivre)"
    first = candidates[0]
    assert rows[0].remote_id == "30712"
    assert (first.name, first.city) == ("Boîte à livres — Brest", "Brest")
    assert (first.lon, first.lat) == (-4.498384, 48.384071)
    assert first.exchange_modes == ["don"]
    assert all(c.lon is not None for c in candidates)
    assert not any(c.notes for c in candidates)


@pytest.mark.real_data
def test_zonelivre_outside_metropolitan_france(raw_data):
    backend, rows, candidates = parse_file(raw_data / ZONELIVRE_OUTSIDE)
    assert backend.detect(raw_data / ZONELIVRE_OUTSIDE) == "zonelivre"
    assert len(rows) == 23
    assert "Gustavia" in {c.city for c in candidates}


@pytest.mark.real_data
def test_boite_a_lire(raw_data):
    backend, rows, candidates = parse_file(raw_data / BOITE_A_LIRE)
    assert backend.detect(raw_data / BOITE_A_LIRE) == "boite-a-lire"
    assert len(rows) == 9775
    assert len({row.remote_id for row in rows}) == 9775
    assert Counter(c.category for c in candidates) == {"boites-a-livres": 9775}
    assert Counter(c.extra["pays"] for c in candidates)["France"] == 9558
    assert sum("pays déclaré" in n for c in candidates for n in c.notes) == 9775 - 9558
    assert sum(1 for c in candidates if "signale_le" not in c.extra) == 687  # null date_created
    assert sum(1 for c in candidates if c.source_updated_on is None) == 607
    assert max(c.source_updated_on for c in candidates if c.source_updated_on) == datetime.date(
        2024, 12, 19
    )
    by_id = {row.remote_id: c for row, c in zip(rows, candidates, strict=True)}
    first = by_id["999"]
    assert first.name == "Boîte à livres — St symphorien de lay"  # spaces collapsed
    assert (first.address, first.postcode) == ("80 route nationale 7", "42470")
    assert first.extra["source_boites"] == "boite-a-lire.com"
    assert by_id["9955"].description == "Au milieu de la place"
    # A wrong but well-formed postcode is kept as declared: the engine compares it.
    assert (by_id["9952"].city, by_id["9952"].postcode) == ("Meylan", "03240")
    unreadable = Counter(n.split(" : ")[0] for c in candidates for n in c.notes)
    assert unreadable["code postal illisible"] > 0
    assert unreadable.keys() <= {"code postal illisible", "pays déclaré"}


def test_made_up_detection(tmp_path):
    backend = BookcasesBackend()
    path = made_up(tmp_path, {"id": "1", "name": "Paris"}, {"id": "2", "name": "Lyon"})
    assert backend.detect(path) == "zonelivre"
    path = made_up(
        tmp_path,
        {
            "id": "1",
            "adresse": "Place",
            "code_postal": " 75001",
            "ville": "Paris",
            "remarque": "\r\n",
            "date_created": None,
        },
    )
    assert backend.detect(path) == "boite-a-lire"
    [row] = backend.rows(path)
    candidate = backend.parse(row)
    assert (candidate.postcode, candidate.description) == ("75001", "")


@pytest.mark.parametrize(
    "properties",
    [
        [{"id": "1", "nom": "Jardin"}],  # another kind of file
        [
            {"id": "1", "name": "Paris"},
            {"id": "2", "adresse": "x", "code_postal": "1", "ville": "y"},
        ],  # the two sources mixed
    ],
)
def test_unknown_files_are_refused(tmp_path, properties):
    path = made_up(tmp_path, *properties)
    with pytest.raises(SourceFileError, match="boîtes à livres reconnu"):
        list(get_backend("bookcases").rows(path))


def test_html_page_is_refused(tmp_path):
    path = tmp_path / "bookcases.geojson"
    path.write_text("<html><body>Too many requests</body></html>")
    with pytest.raises(SourceFileError, match="page HTML"):
        list(get_backend("bookcases").rows(path))
