import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage.catalog.typology import TypologyError, sync_typology


class Command(BaseCommand):
    help = (
        "Charge ou met à jour la typologie (familles, catégories, modes d'échange) depuis "
        "catalog/data/typology.json. Idempotent ; imprime un résumé JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file", type=Path, help="Autre fichier de typologie au même format (JSON)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = sync_typology(path=options["file"])
        except (TypologyError, OSError, ValueError, KeyError) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
