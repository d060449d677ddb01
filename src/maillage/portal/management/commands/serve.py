from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage.core.deploy import LOOPBACK_HOSTS, refuse_public_key


class Command(BaseCommand):
    help = (
        "Sert Maillage en local (par défaut sur http://127.0.0.1:8000). Pour un serveur "
        "partagé, utilisez un serveur WSGI (maillage.wsgi:application) derrière un proxy."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["host"] not in LOOPBACK_HOSTS:  # reachable by others: a server
            try:
                refuse_public_key()
            except ImproperlyConfigured as error:
                raise CommandError(str(error), returncode=2) from None
        self.stderr.write(f"Maillage : http://{options['host']}:{options['port']}/")
        call_command(
            "runserver",
            f"{options['host']}:{options['port']}",
            use_reloader=False,
            skip_checks=False,
        )
