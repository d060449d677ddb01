"""`tiers-lieux` backend on the real 2019 CGET census, CSV and GeoJSON (no database)."""

import csv
import shutil
from collections import Counter
from pathlib import Path

import pytest

from maillage.sources.backends import get_backend
from maillage.sources.backends.tiers_lieux import location_precision
from maillage.sources.errors import SourceFileError

FOLDER = "tiers-lieux-cget-2019"
COMPARED = [
    "name",
    "address",
    "postcode",
    "city",
    "insee_code",
    "website",
    "category",
    "category_rule",
    "contact_name",
    "contact_email",
    "location_precision",
]


def parse_all(path: Path) -> dict:
    backend = get_backend("tiers-lieux")
    return {row.remote_id: (row, backend.parse(row)) for row in backend.rows(path)}


@pytest.fixture(scope="module")
def from_csv(raw_data: Path) -> dict:
    return parse_all(raw_data / FOLDER / "CGET_TiersLieux_2019.csv")


@pytest.fixture(scope="module")
def from_geojson(raw_data: Path) -> dict:
    return parse_all(raw_data / FOLDER / "CGET_TiersLieux_2019.geojson")


@pytest.mark.real_data
@pytest.mark.parametrize("fixture", ["from_csv", "from_geojson"])
def test_real_files_counts(request, fixture):
    parsed = request.getfixturevalue(fixture)
    candidates = [candidate for _, candidate in parsed.values()]
    assert len(parsed) == 1512  # remote ids (ID) are unique
    assert Counter(c.category for c in candidates) == {"coworking": 1118, "fablab": 345, "": 49}
    # No guess for the 49 places without TYPO: the engine queues them « à classer ».
    assert all(not c.category_rule for c in candidates if not c.category)
    assert Counter(c.category_rule for c in candidates if c.category == "fablab") == {
        "TYPO = « Tiers lieux à dominante fablab » → fablab": 345
    }
    assert all(c.lon is not None and c.lat is not None for c in candidates)
    assert sum(1 for c in candidates if not c.insee_code) == 157  # INSEECOM "0"
    assert sum(1 for c in candidates if c.contact_name) == 52
    assert sum(1 for c in candidates if c.contact_email) == 72
    assert Counter(c.location_precision for c in candidates) == {
        "address": 950,
        "street": 360,
        "unknown": 127,
        "commune": 56,
        "exact": 19,
    }


@pytest.mark.real_data
def test_csv_and_geojson_agree(from_csv, from_geojson):
    assert from_csv.keys() == from_geojson.keys()
    for key, (_, a) in from_csv.items():
        _, b = from_geojson[key]
        assert [getattr(a, f) for f in COMPARED] == [getattr(b, f) for f in COMPARED], key
        assert (a.lon, a.lat) == pytest.approx((b.lon, b.lat), abs=1e-6)


@pytest.mark.real_data
def test_geojson_lost_leading_zeros_are_restored(from_geojson):
    """The GeoJSON export wrote "6088" where the CSV has "06088"."""
    padded = [
        c for _, c in from_geojson.values() if any("code INSEE complété" in n for n in c.notes)
    ]
    assert padded
    assert all(len(c.insee_code) == 5 for c in padded)


@pytest.mark.real_data
def test_first_rows(from_csv):
    row, ade = from_csv["1"]
    assert row.data["NOM_TL"] == "ADE Coworking"
    assert ade.name == "ADE Coworking"
    assert ade.address == "9 Rue du Petit Châtelier"
    assert (ade.postcode, ade.city, ade.insee_code) == ("44300", "Nantes", "44109")
    assert ade.website == "https://www.ade-coworking.net"  # scheme added
    assert (ade.lat, ade.lon) == (47.245935, -1.505602)
    assert ade.location_precision == "address"
    assert ade.category == "coworking"
    assert ade.category_rule == "TYPO = « Tiers lieux à dominante coworking » → coworking"
    assert ade.extra["score_geocodeur"] == 0.94
    # Row 3: INSEEMETRO says Marcq-en-Baroeul; INSEECOM (Lille) is the declared code.
    _, cofactory = from_csv["3"]
    assert cofactory.insee_code == "59350"
    assert cofactory.location_precision == "street"


@pytest.mark.real_data
def test_messy_values(from_csv):
    candidates = [c for _, c in from_csv.values()]
    websites = [c.website for c in candidates if c.website]
    assert all(w.startswith(("http://", "https://")) for w in websites)
    assert "http://theschoolab.com/" in websites  # taken out of "Innovation studio http://…"
    # Wiki-link leftovers « http://fablab-vignes.org|fablab-vignes.org]] » cut at the « | ».
    assert "http://fablab-vignes.org" in websites
    assert "https://kellefabrik.org/" in websites
    assert not any(set(w) & set("|[]") for w in websites)
    notes = Counter(n.split(" : ")[0] for c in candidates for n in c.notes)
    assert notes["site web illisible"] == 5  # "en cours", an e-mail, a person's name…
    assert notes["précision inconnue"] == 81  # PRECISION 9, 8, 6, 4 on a 0–1 scale
    assert notes["e-mail multiple"] == 1
    # A literal "NULL" cell is no address.
    assert from_csv["233"][1].address == ""


@pytest.mark.parametrize(
    ("geocoded", "score", "expected"),
    [
        ("PLACE A LA MAIN", 0.99, "exact"),
        ("9 Rue du Petit Châtelier 44300 Nantes", 0.94, "address"),
        ("x", 0.9, "address"),
        ("x", 0.89, "street"),
        ("x", 0.5, "street"),
        ("Poitiers", 0.36, "commune"),
        ("x", 9.0, "unknown"),
        ("", None, "unknown"),
    ],
)
def test_location_precision(geocoded, score, expected):
    assert location_precision(geocoded, score)[0] == expected


@pytest.mark.real_data
def test_format_detected_from_content(tmp_path, raw_data):
    source = raw_data / FOLDER
    as_data = tmp_path / "export.dat"
    shutil.copy(source / "CGET_TiersLieux_2019.geojson", as_data)
    as_text = tmp_path / "export.txt"
    shutil.copy(source / "CGET_TiersLieux_2019.csv", as_text)
    backend = get_backend("tiers-lieux")
    for path in (as_data, as_text):
        rows = list(backend.rows(path))
        assert len(rows) == 1512
        assert backend.parse(rows[0]).name == "ADE Coworking"


@pytest.mark.real_data
def test_cp1252_csv(tmp_path, raw_data):
    with (raw_data / FOLDER / "CGET_TiersLieux_2019.csv").open(encoding="utf-8") as handle:
        head = [next(handle) for _ in range(3)]
    path = tmp_path / "cget.csv"
    path.write_bytes("".join(head).encode("cp1252"))
    backend = get_backend("tiers-lieux")
    rows = list(backend.rows(path))
    assert backend.parse(rows[0]).address == "9 Rue du Petit Châtelier"


@pytest.mark.real_data
def test_missing_columns_and_html(tmp_path, raw_data):
    with (raw_data / FOLDER / "CGET_TiersLieux_2019.csv").open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = [c for c in reader.fieldnames or [] if c != "TYPO"]
        first = next(reader)
    path = tmp_path / "cget.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerow(first)
    with pytest.raises(SourceFileError, match="absente.*TYPO"):
        list(get_backend("tiers-lieux").rows(path))
    page = tmp_path / "cget.geojson"
    page.write_text("<!doctype html><title>404</title>", encoding="utf-8")
    with pytest.raises(SourceFileError, match="page HTML"):
        list(get_backend("tiers-lieux").rows(page))
    other = tmp_path / "other.geojson"
    other.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", '
        '"geometry": null, "properties": {"nom": "x"}}]}',
        encoding="utf-8",
    )
    with pytest.raises(SourceFileError, match="ID, NOM_TL, TYPO, INSEECOM"):
        list(get_backend("tiers-lieux").rows(other))
