"""Running a pending import job to its end: what the background worker's task
(`tasks.run_harvest_job`) and `maillage run-job JOB_ID` do, never the web server.

The import writes in one transaction (on SQLite it holds the database's write lock all along),
so other connections cannot see the job's row count move: the running process writes its
progress to a small JSON file in DATA_DIR/jobs/, and the job page reads that file.
"""

import json
import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import SourceFileError
from .harvest import ImportRequest, JobNotPending, SourceBusy, run_import
from .models import HarvestJob

# At most one progress write per interval: the callback runs after every batch.
PROGRESS_INTERVAL = 0.5


def jobs_dir() -> Path:
    return Path(settings.DATA_DIR) / "jobs"


def progress_path(job_id: int) -> Path:
    return jobs_dir() / f"{job_id}.progress.json"


def write_progress(job_id: int, rows: int) -> None:
    """Replace the progress file atomically (a reader never sees half a file)."""
    path = progress_path(job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(
        json.dumps({"rows": rows, "updated_at": timezone.now().isoformat()}), encoding="utf-8"
    )
    os.replace(tmp, path)


def read_progress(job_id: int) -> dict[str, Any] | None:
    """The last progress written by the running job, or None when there is none yet."""
    try:
        data = json.loads(progress_path(job_id).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


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
    last_write = 0.0

    def progress(rows: int) -> None:
        nonlocal last_write
        now = time.monotonic()
        if now - last_write >= PROGRESS_INTERVAL:
            write_progress(job.pk, rows)
            last_write = now

    write_progress(job.pk, 0)
    request = ImportRequest(
        backend=job.source.backend,
        path=Path(job.file_name),
        source=job.source.name,
        dry_run=job.dry_run,
        user=job.started_by,
        progress=progress,
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
    write_progress(job.pk, job.rows)
    return job
