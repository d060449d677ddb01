import json
from typing import Any

from django.core.management.base import BaseCommand

from maillage.sources.demo import load_demo_sources


class Command(BaseCommand):
    help = (
        "Importe les sources de démonstration livrées sous data/demo/ (base nationale des lieux "
        "de covoiturage, ODbL ; tiers-lieux CGET 2019, Licence Ouverte). Idempotent."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        results = load_demo_sources(progress=lambda message: self.stderr.write(message))
        self.stdout.write(json.dumps(results, ensure_ascii=False, default=str))
