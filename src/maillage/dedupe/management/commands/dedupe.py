import json
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage.dedupe.matching import AUTO_MERGE, REVIEW
from maillage.dedupe.services import run_dedupe, write_report


class Command(BaseCommand):
    help = (
        "Cherche les doublons parmi les initiatives : fusionne les paires sûres (score ≥ seuil "
        "de fusion), met les paires douteuses en relecture, garde les décisions déjà prises."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Rapport sans rien écrire.")
        parser.add_argument("--report", type=Path, help="CSV : une ligne par paire retenue.")
        parser.add_argument("--auto", type=float, default=AUTO_MERGE, help="Seuil de fusion.")
        parser.add_argument("--review", type=float, default=REVIEW, help="Seuil de relecture.")

    def handle(self, *args: Any, **options: Any) -> None:
        auto, review = options["auto"], options["review"]
        if not (0 <= review <= auto <= 1):
            raise CommandError(
                f"Seuils impossibles : --review {review} et --auto {auto} doivent vérifier "
                "0 ≤ relecture ≤ fusion ≤ 1.",
                returncode=2,
            )
        start = time.perf_counter()

        def progress(message: str) -> None:
            print(f"[{time.perf_counter() - start:6.1f} s] {message}", file=sys.stderr)

        result = run_dedupe(
            dry_run=options["dry_run"], auto=options["auto"], review=options["review"],
            progress=progress,
        )  # fmt: skip
        run = result.run
        if options["report"] is not None:
            write_report(result.rows, options["report"])
        summary = {
            "run": run.pk,
            "dry_run": run.dry_run,
            "initiatives": run.initiatives,
            "candidates": run.candidates,
            "auto_merged": run.auto_merged,
            "to_review": run.to_review,
            "cross_source_pairs": run.cross_source_pairs,
            "thresholds": {"auto": run.auto_threshold, "review": run.review_threshold},
            "seconds": round(time.perf_counter() - start, 2),
        }
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
