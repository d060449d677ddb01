import logging
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from maillage.core.tasks import POLL_SECONDS, WorkerLoop


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Command(BaseCommand):
    help = (
        "Processus de travail : exécute les tâches de fond mises en file (imports déposés sur "
        "les pages du personnel, recalcul des indicateurs, moissons programmées), une à la "
        "fois. `make run` le lance à côté du serveur. Messages sur la sortie d'erreur."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--until-idle",
            action="store_true",
            help="S'arrêter quand la file est vide (pour un script ou une tâche cron).",
        )
        parser.add_argument(
            "--poll",
            type=float,
            default=POLL_SECONDS,
            help="Secondes entre deux regards sur une file vide (défaut : %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        logging.getLogger("maillage.worker").setLevel(logging.INFO)
        WorkerLoop(say=_say, poll=max(0.1, options["poll"])).run(until_idle=options["until_idle"])
