import json
from typing import Any

from django.core.management.base import BaseCommand

from maillage.sources.demo import load_demo_series, load_demo_sources


class Command(BaseCommand):
    help = (
        "Importe les sources de démonstration livrées sous data/demo/ (base nationale des lieux "
        "de covoiturage, ODbL ; tiers-lieux CGET 2019, Licence Ouverte) et la série des lieux "
        "de #MapLabBZH (CC-BY). Idempotent."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        say = self.stderr.write
        results = load_demo_sources(progress=say)
        series = load_demo_series(progress=say)
        summary = {"sources": results, "series": series}
        self.stdout.write(json.dumps(summary, ensure_ascii=False, default=str))
