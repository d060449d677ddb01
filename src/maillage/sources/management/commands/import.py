import datetime
import json
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from maillage.catalog.models import Category
from maillage.sources.backends import REGISTRY
from maillage.sources.coverage import parse_list, problems
from maillage.sources.errors import SourceFileError
from maillage.sources.harvest import ImportRequest, SourceBusy, run_import
from maillage.sources.mappings import MappingError, check_backend_mapping, load_mapping
from maillage.sources.models import Source
from maillage.sources.selectors import job_summary, write_report


class Command(BaseCommand):
    help = (
        "Importe un fichier d'initiatives. Chaque ligne finit nouvelle, mise à jour, inchangée, "
        "ignorée ou rejetée (avec son motif) ; relancer l'import ne crée pas de doublon. "
        f"Formats : {', '.join(REGISTRY)}."
    )
    # The project's checks (URLs, templates, models) say nothing about a file to import and
    # cost a fifth of a second at every start: `migrate`, the server and `check` run them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backend", metavar="BACKEND", choices=sorted(REGISTRY))
        parser.add_argument("path", metavar="PATH", type=Path)
        parser.add_argument("--source", default="", help="Nom court de la source (slug).")
        parser.add_argument("--mapping", type=Path, help="Correspondance des colonnes (JSON).")
        parser.add_argument(
            "--category", default="", help="Catégorie de toutes les lignes (fichier mono-pratique)."
        )
        parser.add_argument("--licence", default="", help="Licence des données de la source.")
        parser.add_argument(
            "--moderation",
            choices=["publish", "review"],
            default="",
            help="review : les nouvelles initiatives attendent une relecture avant publication.",
        )
        parser.add_argument(
            "--covers",
            default=None,
            metavar="CODES",
            help=(
                "Catégories (ou familles) que la source recense entièrement, séparées par des "
                "virgules ; sans elles, l'import les propose d'après ce qu'il lit."
            ),
        )
        parser.add_argument(
            "--area",
            default=None,
            metavar="TERRITOIRES",
            help="Territoires que la source recense (fr, reg:53, dep:35, com:35238…), séparés par des virgules.",
        )
        parser.add_argument(
            "--vintage",
            default=None,
            metavar="AAAA[-MM-JJ]",
            help="Millésime : la date que décrivent les données (2019 pour le recensement CGET).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Essai à blanc : rapport sans rien écrire."
        )
        parser.add_argument("--report", type=Path, help="CSV du rapport ligne par ligne.")
        parser.add_argument(
            "--date",
            default="",
            help=(
                "footprint-airbnb : date du relevé (AAAA-MM-JJ) ; par défaut le dernier avis "
                "du fichier (last_review le plus récent)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        mapping = None
        if options["date"] and options["backend"] != "footprint-airbnb":
            raise CommandError(
                _(
                    "--date ne sert qu'au format footprint-airbnb (les tableaux datent chaque ligne)."
                ),
                returncode=2,
            )
        try:
            if options["mapping"] is not None:
                mapping = load_mapping(options["mapping"])
            if options["date"]:
                mapping = {**(mapping or {}), "date": options["date"]}
            if mapping is not None:
                check_backend_mapping(options["backend"], mapping)
        except (MappingError, SourceFileError) as exc:
            raise CommandError(str(exc), returncode=2) from exc
        category = options["category"]
        if category and not Category.objects.filter(code=category, retired=False).exists():
            raise CommandError(
                f"Catégorie inconnue : {category}. Voir `maillage load-typology` ou /typologie/.",
                returncode=2,
            )
        # The stored backend would otherwise win in silence over the one asked for.
        existing = Source.objects.filter(name=options["source"]).first()
        if existing is not None and existing.backend != options["backend"]:
            raise CommandError(
                _(
                    "La source « %(source)s » est au format %(stored)s, pas %(asked)s : relancez "
                    "avec `maillage import %(stored)s …` ou choisissez un autre nom (--source)."
                )
                % {
                    "source": existing.name,
                    "stored": existing.backend,
                    "asked": options["backend"],
                },
                returncode=2,
            )
        covers, area, vintage = _coverage_options(options)
        start = time.perf_counter()

        def progress(rows: int) -> None:
            rate = rows / max(time.perf_counter() - start, 1e-6)
            print(f"\r{rows} lignes traitées ({rate:,.0f} lignes/s)", end="", file=sys.stderr)

        request = ImportRequest(
            backend=options["backend"],
            path=options["path"],
            source=options["source"],
            mapping=mapping,
            category=category,
            dry_run=options["dry_run"],
            licence=options["licence"],
            moderation=options["moderation"],
            coverage_categories=covers,
            coverage_area=area,
            data_vintage=vintage,
            progress=progress,
        )
        try:
            job = run_import(request)
        except (SourceFileError, SourceBusy) as exc:
            print(file=sys.stderr)
            raise CommandError(str(exc), returncode=2) from exc
        print(file=sys.stderr)
        summary = job_summary(job)
        if options["dry_run"]:
            summary["mapping"] = job.mapping
        if options["report"] is not None:
            summary["report"] = str(options["report"])
            summary["report_rows"] = write_report(job, options["report"])
        self.stdout.write(json.dumps(summary, ensure_ascii=False, default=str))


def _coverage_options(
    options: dict[str, Any],
) -> tuple[list[str] | None, list[str] | None, datetime.date | None]:
    """--covers, --area and --vintage read and checked (CommandError, exit 2, when wrong)."""
    covers = None if options["covers"] is None else parse_list(options["covers"])
    area = None if options["area"] is None else parse_list(options["area"])
    found = problems(covers or [], area or [])
    vintage = None
    if options["vintage"]:
        text = options["vintage"].strip()
        try:
            vintage = datetime.date.fromisoformat(f"{text}-01-01" if len(text) == 4 else text)
        except ValueError:
            found.append(
                _("millésime illisible : « %(text)s » (attendu : 2019 ou 2019-06-30)")
                % {"text": text}
            )
    if found:
        raise CommandError(" ; ".join(found), returncode=2)
    return covers, area, vintage
