import json
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage.indicators import selectors, services
from maillage.territories.selectors import TerritoryNotFound, resolve_territory


class Command(BaseCommand):
    help = (
        "Indicateurs d'un territoire (nombre d'initiatives, pour 10 000 habitants, couverture de "
        "la population, diversité, émergence, complétude, comparaison avec les pairs), en JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "territory", nargs="?", metavar="TERRITORY", help="fr, reg:53, dep:35, epci:<SIREN>…"
        )
        parser.add_argument(
            "--json", action="store_true", help="JSON sur la sortie standard (par défaut)."
        )
        parser.add_argument(
            "--recompute",
            action="store_true",
            help="Recalcule d'abord les indicateurs de tous les territoires.",
        )
        parser.add_argument(
            "--peers",
            default="",
            help="Pairs choisis, séparés par des virgules (au lieu de la règle).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        start = time.perf_counter()

        def progress(message: str) -> None:
            print(f"[{time.perf_counter() - start:6.1f} s] {message}", file=sys.stderr)

        territory = options["territory"]
        if not territory and not options["recompute"]:
            raise CommandError("Donnez un territoire (ex. dep:35) ou --recompute.", returncode=2)
        run = selectors.latest_run()
        if options["recompute"] or (territory and selectors.is_stale(run)):
            if not options["recompute"]:
                progress("l'inventaire a changé depuis le dernier calcul : recalcul")
            run = services.recompute(progress=progress)
            progress(f"{run.territories} territoires calculés en {run.seconds:.1f} s")
        if not territory:
            summary = {
                "run": run.pk if run else None,
                "initiatives": run.initiatives if run else 0,
                "territories": run.territories if run else 0,
                "seconds": run.seconds if run else 0,
            }
            sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
            return
        try:
            resolved = resolve_territory(territory)
        except TerritoryNotFound as exc:
            raise CommandError(str(exc), returncode=2) from exc
        peers = [p.strip() for p in options["peers"].split(",") if p.strip()]
        try:
            data = selectors.portrait(resolved.territory.id, peers or None, strict=True)
        except (selectors.FiguresNotComputed, selectors.InvalidPeers) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
