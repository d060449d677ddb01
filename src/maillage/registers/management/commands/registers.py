import datetime
import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage.registers import mapping, selectors, services
from maillage.sources.errors import SourceFileError
from maillage.territories.selectors import TerritoryNotFound, resolve_territory


class Command(BaseCommand):
    help = (
        "Registres officiels : import d'un fichier SIRENE (créations, fermetures et stock par "
        "commune, année et code d'activité), table de correspondance NAF → typologie, "
        "décomptes d'un territoire, imports faits. JSON sur la sortie standard."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        sirene = actions.add_parser(
            "sirene",
            help="Importe un fichier SIRENE (périodes d'établissements ou StockEtablissement).",
        )
        sirene.add_argument("path", metavar="FICHIER", type=Path)
        sirene.add_argument("--source", default="", help="Nom court de la source (slug).")
        sirene.add_argument("--label", default="", help="Intitulé de la source.")
        sirene.add_argument("--licence", default="", help="Licence (défaut : Licence Ouverte).")
        sirene.add_argument("--attribution", default="", help="Attribution à citer.")
        sirene.add_argument(
            "--vintage",
            default="",
            help="Date que décrit le fichier (AAAA-MM-JJ) ; défaut : sa date la plus récente.",
        )
        sirene.add_argument(
            "--dry-run", action="store_true", help="Lit et compte sans rien écrire."
        )
        table = actions.add_parser(
            "mapping", help="Table de correspondance NAF → typologie : état, chargement, export."
        )
        table.add_argument(
            "--load",
            nargs="?",
            const=mapping.MAPPING_FILE,
            type=Path,
            metavar="FICHIER",
            help="Charge le fichier du projet (ou celui donné) dans la table.",
        )
        table.add_argument(
            "--force",
            action="store_true",
            help="Avec --load : remplace aussi les règles modifiées dans l'administration.",
        )
        table.add_argument(
            "--export", type=Path, metavar="FICHIER", help="Écrit la table telle qu'en base."
        )
        show = actions.add_parser(
            "show", help="Décomptes d'un territoire par code d'activité et année."
        )
        show.add_argument("territory", metavar="TERRITOIRE")
        show.add_argument("--source", default="", help="Une seule source.")
        show.add_argument("--naf", default="", help="Codes qui commencent ainsi (ex. 95.2).")
        show.add_argument(
            "--emergence",
            action="store_true",
            help="Créations liées aux pratiques, tendance et couverture, au lieu des codes.",
        )
        actions.add_parser("list", help="Imports des registres, le plus récent d'abord.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "sirene":
                result: Any = self._sirene(options)
            elif action == "mapping":
                result = self._mapping(options)
            elif action == "show":
                territory = resolve_territory(options["territory"]).territory
                if options["emergence"]:
                    result = selectors.emergence(territory.id)
                else:
                    result = selectors.code_table(territory.id, options["source"], options["naf"])
            else:
                result = selectors.import_list()
        except (SourceFileError, mapping.MappingError, TerritoryNotFound) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(json.dumps(result, ensure_ascii=False, default=str))

    def _sirene(self, options: dict[str, Any]) -> dict[str, Any]:
        vintage = None
        if options["vintage"]:
            try:
                vintage = datetime.date.fromisoformat(options["vintage"])
            except ValueError as exc:
                raise CommandError(
                    f"--vintage : date illisible « {options['vintage']} » (AAAA-MM-JJ).",
                    returncode=2,
                ) from exc
        start = time.perf_counter()

        def progress(message: str) -> None:
            self.stderr.write(f"[{time.perf_counter() - start:6.1f} s] {message}")

        return services.import_sirene(
            services.SireneRequest(
                path=options["path"],
                source=options["source"],
                label=options["label"],
                licence=options["licence"],
                attribution=options["attribution"],
                vintage=vintage,
                dry_run=options["dry_run"],
                progress=progress,
            )
        )

    def _mapping(self, options: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if options["load"] is not None:
            result["load"] = services.sync_mapping(options["load"], force=options["force"])
        if options["export"] is not None:
            version = mapping.table_version()["version"] or "export"
            result["export"] = {
                "file": str(options["export"]),
                "rules": mapping.export_rules(options["export"], version),
            }
        result["table"] = mapping.table_version()
        return result
