"""Running a pending import job to its end: what the background worker's task
(`tasks.run_harvest_job`) and `maillage run-job JOB_ID` do, never the web server.

The import commits batch by batch and saves its row count with each batch (HarvestJob.rows
and progress_at): the job page reads its progress from the job itself.
"""

from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import SourceFileError
from .harvest import ImportRequest, JobNotPending, SourceBusy, run_import
from .models import HarvestJob


def _fail_pending(job: HarvestJob, message: str) -> None:
    """A pending job that could not start is closed with the reason (never left pending)."""
    HarvestJob.objects.filter(pk=job.pk, status=HarvestJob.Status.PENDING).update(
        status=HarvestJob.Status.FAILED, error=message, finished_at=timezone.now()
    )


def execute_job(job_id: int) -> HarvestJob:
    """Run one pending job to its end (what `maillage run-job` does, in this process).

    Errors that concern the file or the source's lock close the job as failed with a French
    message and are raised again for the caller (the command exits with code 2)."""
    job = HarvestJob.objects.select_related("source", "started_by").get(pk=job_id)
    if job.status != HarvestJob.Status.PENDING:
        raise JobNotPending(
            _("L'import n° %(job)s n'est plus en attente : il a déjà été lancé.") % {"job": job.pk}
        )
    given = job.source_settings or {}  # a web dry run's settings, for this run only
    request = ImportRequest(
        backend=job.source.backend,
        path=Path(job.file_name),
        source=job.source.name,
        dry_run=job.dry_run,
        user=job.started_by,
        mapping=given.get("mapping"),
        category=given.get("default_category", ""),
        licence=given.get("licence", ""),
        moderation=given.get("moderation", ""),
    )
    try:
        job = run_import(request, job=job)
    except (SourceFileError, SourceBusy, KeyError) as exc:
        message = (
            _("Format inconnu : %(backend)s") % {"backend": job.source.backend}
            if isinstance(exc, KeyError)
            else str(exc)
        )
        _fail_pending(job, message)
        raise
    except BaseException as exc:
        _fail_pending(job, repr(exc))
        raise
    return job
