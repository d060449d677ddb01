import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage.catalog.models import Initiative
from maillage.core.errors import MaillageError
from maillage.impacts import compute, precompute
from maillage.impacts.coefficients import COEFFICIENTS_FILE, sync_coefficients
from maillage.territories.selectors import TerritoryNotFound, resolve_territory


class Command(BaseCommand):
    help = (
        "Impacts d'un territoire ou d'une initiative, par dimension (fourchette basse, centrale, "
        "haute ; base déclarée ou estimée ; coefficients et sources ; sensibilité), en JSON ; "
        "ou chargement du fichier des coefficients."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "territory", nargs="?", metavar="TERRITORY", help="fr, reg:53, dep:35, epci:<SIREN>…"
        )
        parser.add_argument("--initiative", type=int, help="Identifiant d'une initiative.")
        parser.add_argument(
            "--json", action="store_true", help="JSON sur la sortie standard (par défaut)."
        )
        parser.add_argument(
            "--load-coefficients",
            nargs="?",
            const=COEFFICIENTS_FILE,
            type=Path,
            metavar="FICHIER",
            help="Charge le fichier des coefficients du projet (ou celui donné).",
        )
        parser.add_argument(
            "--recompute",
            action="store_true",
            help="Recalcule et enregistre les impacts de tous les territoires (ceux que lisent "
            "le portrait et l'API).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Avec --load-coefficients : remplace aussi les coefficients modifiés dans "
            "l'administration.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = self._run(options)
        except (MaillageError, TerritoryNotFound) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        sys.stdout.write(json.dumps(result, ensure_ascii=False, default=str) + "\n")

    def _run(self, options: dict[str, Any]) -> Any:
        if options["load_coefficients"]:
            return sync_coefficients(path=options["load_coefficients"], force=options["force"])
        if options["recompute"]:
            run = precompute.recompute(progress=lambda m: self.stderr.write(m))
            return {
                "computed_at": run.computed_at.isoformat(),
                "seconds": run.seconds,
                "initiatives": run.initiatives,
                "territories": run.territories,
                "formulas_version": run.formulas_version,
            }
        if options["initiative"] is not None:
            initiative = Initiative.objects.filter(pk=options["initiative"]).first()
            if initiative is None:
                raise CommandError(
                    f"Initiative introuvable : {options['initiative']}", returncode=2
                )
            return compute.initiative_impacts(initiative).as_dict()
        if not options["territory"]:
            raise CommandError(
                "Donnez un territoire (ex. dep:35), --initiative ID, --recompute ou "
                "--load-coefficients.",
                returncode=2,
            )
        territory = resolve_territory(options["territory"]).territory
        return compute.territory_impacts(territory).as_dict()
