import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage.indicators import history
from maillage.territories.selectors import TerritoryNotFound, resolve_territory


class Command(BaseCommand):
    help = (
        "Importe une série de comptages publiés par une source (nombre de fiches par date), "
        "qui remplace la série précédente de cette source."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("format", choices=history.FORMATS, metavar="FORMAT")
        parser.add_argument("path", type=Path, metavar="PATH")
        parser.add_argument("--source", required=True, help="Nom de la source.")
        parser.add_argument("--licence", default="", help="Licence des données.")
        parser.add_argument("--category", default="", help="Catégorie comptée (format regions).")
        parser.add_argument(
            "--territory", default="", help="Territoire de la carte (format features)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}", returncode=2)
        try:
            if options["format"] == "regions":
                if not options["category"]:
                    raise CommandError("--category est obligatoire pour ce format.", returncode=2)
                series = history.read_regions(path, options["category"])
            else:
                territory = resolve_territory(options["territory"] or "").territory
                series = history.read_features(path, territory.id)
            summary = history.import_series(series, options["source"], options["licence"])
        except (history.HistoryFileError, TerritoryNotFound) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        for note in series.skipped:
            print(note, file=sys.stderr)
        out = {"source": options["source"], **summary, "notes": series.skipped}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
