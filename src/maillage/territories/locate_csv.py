"""Locate the rows of a CSV file (`maillage locate --file`) and describe one point."""

import csv
import math
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from maillage.core.errors import MaillageError
from maillage.core.spreadsheets import SafeWriter

from .locator import get_locator
from .models import Level, Territory


class LocateFileError(MaillageError):
    """The input file cannot be located row by row (stable code `locate-file-invalid`); the
    message says why, in French."""

    code = "locate-file-invalid"


ADDED_COLUMNS = ["commune_id", "commune_name", "epci_id", "departement_id", "region_id"]
LON_NAMES = {"lon", "lng", "long", "longitude"}
LAT_NAMES = {"lat", "latitude"}
CHUNK = 50_000  # rows located at once: big enough for vectorisation, small for memory


def parse_coordinate(text: str) -> float:
    """`"48.11"`, `" 48,11 "` (decimal comma) → float; NaN when empty, unparseable or infinite."""
    value = text.strip()
    if "," in value and "." not in value:
        value = value.replace(",", ".")
    try:
        number = float(value)
    except ValueError:
        return math.nan
    return number if math.isfinite(number) else math.nan


def _brief(territory: Territory | None) -> dict[str, str] | None:
    if territory is None:
        return None
    return {"id": territory.id, "code": territory.code, "name": territory.name}


def describe_point(lon: float, lat: float) -> dict[str, Any]:
    commune_id = get_locator().locate(np.array([lon]), np.array([lat]))[0]
    if commune_id is None:
        return {"outside_france": True}
    commune = Territory.objects.defer("geometry", "outline").get(id=commune_id)
    parents = Territory.objects.defer("geometry", "outline").in_bulk(
        [i for i in (commune.epci_id, commune.departement_id, commune.region_id) if i]
    )
    return {
        "commune": _brief(commune),
        "epci": _brief(parents.get(commune.epci_id or "")),
        "departement": _brief(parents.get(commune.departement_id or "")),
        "region": _brief(parents.get(commune.region_id or "")),
    }


def locate_file(source: Path, output: Path) -> dict[str, Any]:
    if not source.is_file():
        raise LocateFileError(f"Fichier introuvable : {source}")
    with source.open(encoding="utf-8-sig", newline="") as handle:
        header_line = handle.readline()
    delimiter = max([",", ";", "\t"], key=header_line.count)
    header = next(csv.reader([header_line], delimiter=delimiter), [])
    names = [h.strip().lower() for h in header]
    lon_col = next((i for i, h in enumerate(names) if h in LON_NAMES), None)
    lat_col = next((i for i, h in enumerate(names) if h in LAT_NAMES), None)
    if lon_col is None or lat_col is None:
        raise LocateFileError(
            f"{source} : colonnes lon et lat introuvables (en-tête lu : {', '.join(header)})."
        )
    clash = [c for c in ADDED_COLUMNS if c in names]
    if clash:
        raise LocateFileError(
            f"{source} : colonnes déjà présentes, qui seraient écrasées : {', '.join(clash)}."
        )
    locator = get_locator()
    parents = {
        tid: (name, epci or "", dep or "", reg or "")
        for tid, name, epci, dep, reg in Territory.objects.filter(level=Level.COMMUNE).values_list(
            "id", "name", "epci_id", "departement_id", "region_id"
        )
    }
    counts = {"rows": 0, "located": 0, "outside_france": 0, "invalid": 0}
    start = time.perf_counter()
    with (
        source.open(encoding="utf-8-sig", newline="") as src,
        output.open("w", encoding="utf-8", newline="") as dst,
    ):
        reader = csv.reader(src, delimiter=delimiter)
        writer = SafeWriter(dst, delimiter=delimiter, lineterminator="\n")
        writer.writerow([*next(reader), *ADDED_COLUMNS])
        for rows in _chunks(reader, CHUNK):
            lons = np.array([parse_coordinate(_cell(r, lon_col)) for r in rows])
            lats = np.array([parse_coordinate(_cell(r, lat_col)) for r in rows])
            found = locator.locate(lons, lats)
            valid = np.isfinite(lons) & np.isfinite(lats)
            for row, commune_id in zip(rows, found, strict=True):
                extra = ["", "", "", "", ""]
                if commune_id is not None:
                    extra = [commune_id, *parents[commune_id]]
                writer.writerow([*row, *extra])
            counts["rows"] += len(rows)
            counts["invalid"] += int((~valid).sum())
            counts["located"] += int(sum(c is not None for c in found))
            counts["outside_france"] = counts["rows"] - counts["located"] - counts["invalid"]
            if len(rows) == CHUNK:
                print(
                    f"[{time.perf_counter() - start:5.1f} s] {counts['rows']} lignes…",
                    file=sys.stderr,
                    flush=True,
                )
    return {**counts, "output": str(output)}


def _cell(row: list[str], col: int) -> str:
    return row[col] if col < len(row) else ""


def _chunks(reader: Iterator[list[str]], size: int) -> Iterator[list[list[str]]]:
    chunk: list[list[str]] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue  # blank line
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
