from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Sert Maillage en local (par défaut sur http://127.0.0.1:8000). Pour un serveur "
        "partagé, utilisez un serveur WSGI (maillage.wsgi:application) derrière un proxy."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        self.stderr.write(f"Maillage : http://{options['host']}:{options['port']}/")
        call_command(
            "runserver",
            f"{options['host']}:{options['port']}",
            use_reloader=False,
            skip_checks=False,
        )
