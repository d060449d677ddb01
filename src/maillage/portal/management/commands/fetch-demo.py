import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage.portal.demo import DemoDataError, fetch_demo


class Command(BaseCommand):
    help = (
        "Télécharge les fichiers de démonstration depuis leurs éditeurs (base nationale des "
        "lieux de covoiturage, tiers-lieux CGET 2019) dans MAILLAGE_DATA_DIR/demo/, chacun "
        "vérifié par sa somme SHA-256 ; `maillage load-demo` les charge ensuite. Réseau "
        "nécessaire."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--mirror",
            default="",
            metavar="URL",
            help="télécharger depuis ce miroir (URL/<nom du fichier>) plutôt que chez les éditeurs",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=60.0,
            help="délai d'attente du réseau, en secondes (défaut : 60)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = fetch_demo(
                mirror=options["mirror"], timeout=options["timeout"], progress=self.stderr.write
            )
        except DemoDataError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
