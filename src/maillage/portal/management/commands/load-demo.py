import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from maillage.portal.demo import DemoDataError, load_demo


class Command(BaseCommand):
    help = (
        "Importe les sources de démonstration trouvées (base nationale des lieux de "
        "covoiturage, ODbL ; tiers-lieux CGET 2019, Licence Ouverte ; associations du RNA "
        "d'Indre-et-Loire, en modération, Licence Ouverte), la série des lieux de #MapLabBZH "
        "(CC-BY) et le registre SIRENE de Lyon 4e (Licence Ouverte), depuis le dossier de "
        "MAILLAGE_DEMO_DATA, le dossier des données brutes (../shared/data/raw ou "
        "MAILLAGE_RAW_DATA) ou ce que `maillage fetch-demo` a téléchargé. Sans aucune donnée "
        "de démonstration, le dit et n'échoue pas. Idempotent."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = load_demo(progress=self.stderr.write)
        except DemoDataError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        self.stdout.write(json.dumps(summary, ensure_ascii=False, default=str))
