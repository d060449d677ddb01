import json
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage.territories.services import load_referential
from maillage.territories.sources import ReferentialSourceError


class Command(BaseCommand):
    help = (
        "Charge ou met à jour le référentiel territorial (communes, EPCI, départements, régions, "
        "populations, codes postaux, anciens codes). Idempotent ; imprime un résumé JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--cog-package",
            type=Path,
            help="Paquet npm @etalab/decoupage-administratif (.tgz ou dossier) à charger "
            "à la place de celui livré avec Maillage.",
        )
        parser.add_argument(
            "--population-year",
            type=int,
            help="Millésime des populations légales du paquet (ex. 2023).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Tout recalculer même si ces sources ont déjà été chargées.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        start = time.perf_counter()

        def progress(message: str) -> None:
            print(f"[{time.perf_counter() - start:5.1f} s] {message}", file=sys.stderr, flush=True)

        try:
            summary = load_referential(
                options["cog_package"],
                options["population_year"],
                force=options["force"],
                progress=progress,
            )
        except ReferentialSourceError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        summary["seconds"] = round(time.perf_counter() - start, 2)
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
