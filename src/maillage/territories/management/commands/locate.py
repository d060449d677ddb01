"""`maillage locate LON LAT` and `maillage locate --file IN.csv -o OUT.csv`."""

import csv
import json
import math
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage.territories.locator import get_locator
from maillage.territories.models import Level, Territory

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


class Command(BaseCommand):
    help = (
        "Trouve la commune (et son EPCI, son département, sa région) d'un point en WGS84, "
        "ou de chaque ligne d'un fichier CSV à colonnes lon et lat."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        # argparse treats "-1.68" as a value, not an option, because no option looks like a
        # negative number; `maillage locate -- -1.68 48.11` works too.
        parser.add_argument("lon", nargs="?", type=float, help="Longitude (WGS84), ex. 2.3522")
        parser.add_argument("lat", nargs="?", type=float, help="Latitude (WGS84), ex. 48.8566")
        parser.add_argument(
            "--file",
            type=Path,
            help="CSV d'entrée avec des colonnes lon et lat (, ; ou tabulation).",
        )
        parser.add_argument("-o", "--output", type=Path, help="CSV de sortie (avec --file).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["file"] is not None:
            if options["lon"] is not None or options["lat"] is not None:
                raise CommandError("Donner soit LON LAT, soit --file, pas les deux.", returncode=2)
            if options["output"] is None:
                raise CommandError(
                    "--file demande un fichier de sortie : -o SORTIE.csv", returncode=2
                )
            summary = self.locate_file(options["file"], options["output"])
            self.stdout.write(json.dumps(summary, ensure_ascii=False))
            return
        lon, lat = options["lon"], options["lat"]
        if lon is None or lat is None:
            raise CommandError(
                "Usage : maillage locate LON LAT (ex. maillage locate 2.3522 48.8566) "
                "ou maillage locate --file ENTREE.csv -o SORTIE.csv",
                returncode=2,
            )
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise CommandError("Coordonnées invalides (NaN ou infini).", returncode=2)
        self.stdout.write(json.dumps(self.locate_one(lon, lat), ensure_ascii=False))

    def locate_one(self, lon: float, lat: float) -> dict[str, Any]:
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

    def locate_file(self, source: Path, output: Path) -> dict[str, Any]:
        if not source.is_file():
            raise CommandError(f"Fichier introuvable : {source}", returncode=2)
        with source.open(encoding="utf-8-sig", newline="") as handle:
            header_line = handle.readline()
        delimiter = max([",", ";", "\t"], key=header_line.count)
        header = next(csv.reader([header_line], delimiter=delimiter), [])
        names = [h.strip().lower() for h in header]
        lon_col = next((i for i, h in enumerate(names) if h in LON_NAMES), None)
        lat_col = next((i for i, h in enumerate(names) if h in LAT_NAMES), None)
        if lon_col is None or lat_col is None:
            raise CommandError(
                f"{source} : colonnes lon et lat introuvables (en-tête lu : {', '.join(header)}).",
                returncode=2,
            )
        clash = [c for c in ADDED_COLUMNS if c in names]
        if clash:
            raise CommandError(
                f"{source} : colonnes déjà présentes, qui seraient écrasées : {', '.join(clash)}.",
                returncode=2,
            )
        locator = get_locator()
        parents = {
            tid: (name, epci or "", dep or "", reg or "")
            for tid, name, epci, dep, reg in Territory.objects.filter(
                level=Level.COMMUNE
            ).values_list("id", "name", "epci_id", "departement_id", "region_id")
        }
        counts = {"rows": 0, "located": 0, "outside_france": 0, "invalid": 0}
        start = time.perf_counter()
        with (
            source.open(encoding="utf-8-sig", newline="") as src,
            output.open("w", encoding="utf-8", newline="") as dst,
        ):
            reader = csv.reader(src, delimiter=delimiter)
            writer = csv.writer(dst, delimiter=delimiter, lineterminator="\n")
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
