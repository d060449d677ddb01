"""`maillage locate LON LAT` and `maillage locate --file IN.csv -o OUT.csv`."""

import json
import math
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage.territories.locate_csv import LocateFileError, describe_point, locate_file


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
            summary = self._locate_file(options["file"], options["output"])
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
        self.stdout.write(json.dumps(describe_point(lon, lat), ensure_ascii=False))

    def _locate_file(self, source: Path, output: Path) -> dict[str, Any]:
        try:
            return locate_file(source, output)
        except LocateFileError as exc:
            raise CommandError(str(exc), returncode=2) from exc
