import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from maillage.sources.background import execute_job
from maillage.sources.errors import SourceFileError
from maillage.sources.harvest import JobNotPending, SourceBusy
from maillage.sources.models import HarvestJob
from maillage.sources.selectors import job_summary


class Command(BaseCommand):
    help = (
        "Exécute un import en attente (créé par les pages d'import du personnel) ; c'est ce que "
        "fait le processus de travail. La progression s'enregistre avec l'import (sa page la "
        "suit) ; résumé JSON sur la sortie standard."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job_id", metavar="JOB_ID", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            job = execute_job(options["job_id"])
        except HarvestJob.DoesNotExist as exc:
            raise CommandError(f"Import n° {options['job_id']} introuvable.", returncode=2) from exc
        except (JobNotPending, SourceFileError, SourceBusy, KeyError) as exc:
            message = str(exc) if not isinstance(exc, KeyError) else f"Format inconnu : {exc}"
            raise CommandError(message, returncode=2) from exc
        self.stdout.write(json.dumps(job_summary(job), ensure_ascii=False, default=str))
