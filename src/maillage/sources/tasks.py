"""The sources' background work, run by `maillage worker`: pending import jobs, the sources'
scheduled harvests, and closing the jobs of a worker that died.

A job is queued when the staff page's transaction commits (`queue_job`). A worker that dies
mid-import (killed, machine restarted) leaves the batches it committed: the next worker on
the machine takes them back (undo.py), then puts the job back in the queue, up to
MAX_ATTEMPTS runs, then closes it as failed with the reason.
"""

import datetime
import logging
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from maillage.core.tasks import WorkerStopping, enqueue_on_commit, process_alive, worker_tick

from .background import execute_job
from .harvest import close_dead_job, undone_job
from .models import HarvestJob, Source

logger = logging.getLogger("maillage.worker")

MAX_ATTEMPTS = 3
UNFINISHED = (HarvestJob.Status.PENDING, HarvestJob.Status.RUNNING)


@task()
def run_harvest_job(job_id: int) -> dict[str, Any]:
    """Run one pending import job (queued by the staff pages or a scheduled harvest)."""
    claimed = HarvestJob.objects.filter(pk=job_id, status=HarvestJob.Status.PENDING).update(
        attempts=F("attempts") + 1
    )
    if not claimed:
        return {"job": job_id, "status": "not-pending"}
    try:
        job = execute_job(job_id)
    except WorkerStopping as stop:
        _interrupted(job_id, str(stop))
        raise
    if job.error and job.status != HarvestJob.Status.FAILED:  # an earlier interruption's
        HarvestJob.objects.filter(pk=job.pk).update(error="")
    logger.info(
        _("Import n° %(job)s (%(source)s) : %(status)s, %(rows)s lignes."),
        {
            "job": job.pk,
            "source": job.source.name,
            "status": job.get_status_display(),
            "rows": job.rows,
        },
    )
    return {"job": job.pk, "status": job.status, "rows": job.rows}


def queue_job(job: HarvestJob) -> None:
    """Queue the job for the worker once the caller's transaction commits."""
    enqueue_on_commit(run_harvest_job, job.pk)


def _interrupted(job_id: int, reason: str) -> None:
    """An interrupted run, once what it wrote is taken back: run it again, or close it after
    the last attempt."""
    job = HarvestJob.objects.select_related("source").filter(pk=job_id).first()
    if job is not None and job.status == HarvestJob.Status.RUNNING:
        undone_job(job)  # done already when the run failed in its own process
    with transaction.atomic():
        job = HarvestJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status not in (*UNFINISHED, HarvestJob.Status.FAILED):
            return
        if job.attempts < MAX_ATTEMPTS:
            job.status = HarvestJob.Status.PENDING
            job.error = _(
                "interrompu (%(reason)s) ; ce qu'il avait écrit a été retiré ; relancé"
            ) % {"reason": reason}
            job.pid, job.host, job.started_at, job.finished_at = None, "", None, None
            job.save(update_fields=["status", "error", "pid", "host", "started_at", "finished_at"])
            queue_job(job)
        else:
            job.status = HarvestJob.Status.FAILED
            job.error = _(
                "interrompu %(attempts)s fois (%(reason)s) ; ce qu'il avait écrit a été "
                "retiré ; déposez le fichier de nouveau"
            ) % {"attempts": job.attempts, "reason": reason}
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "error", "finished_at"])


@receiver(worker_tick, dispatch_uid="sources-interrupted-jobs")
def requeue_jobs_of_dead_workers(sender: object, **kwargs: Any) -> None:
    """Jobs left running by a process of this machine that is gone (a worker, or a command
    line import that was killed): those the worker ran are queued again; a command line
    import is closed as failed (its user is gone with it)."""
    host = socket.gethostname()
    running = HarvestJob.objects.filter(status=HarvestJob.Status.RUNNING, host=host)
    for job in running.select_related("source"):
        if process_alive(job.pid):
            continue
        if job.attempts:
            _interrupted(job.pk, _("processus arrêté"))
        else:
            close_dead_job(job)


def due_sources(now: datetime.datetime) -> list[Source]:
    """Scheduled sources whose next harvest has come, with no job waiting or running."""
    busy = HarvestJob.objects.filter(status__in=UNFINISHED).values("source_id")
    return list(
        Source.objects.filter(harvest_every_days__gt=0)
        .filter(Q(next_harvest_at__lte=now) | Q(next_harvest_at__isnull=True))
        .exclude(pk__in=busy)
        .order_by("next_harvest_at", "name")
    )


@receiver(worker_tick, dispatch_uid="sources-scheduled-harvests")
def queue_due_harvests(sender: object, say: Callable[[str], None] | None = None, **kwargs: Any):
    """Queue a harvest of every scheduled source that is due, reading its last file again
    (same file: the import replays it in a second and only ages the missing records)."""
    now = timezone.now()
    for source in due_sources(now):
        with transaction.atomic():
            every = datetime.timedelta(days=source.harvest_every_days or 0)
            source.next_harvest_at = now + every
            source.save(update_fields=["next_harvest_at"])
            job = HarvestJob.objects.create(
                source=source, status=HarvestJob.Status.PENDING, file_name=source.location
            )
            if not source.location or not Path(source.location).is_file():
                job.status = HarvestJob.Status.FAILED
                job.error = _(
                    "moisson programmée impossible : le fichier « %(path)s » n'est plus là ; "
                    "déposez-en un nouveau ou changez l'adresse de la source"
                ) % {"path": source.location}
                job.finished_at = now
                job.save(update_fields=["status", "error", "finished_at"])
            else:
                queue_job(job)
        if say is not None:
            say(
                _(
                    "Moisson programmée de « %(source)s » : import n° %(job)s ; la suivante le %(next)s."
                )
                % {
                    "source": source.name,
                    "job": job.pk,
                    "next": timezone.localtime(source.next_harvest_at).strftime("%d/%m/%Y %H:%M"),
                }
            )


@receiver(worker_tick, dispatch_uid="sources-schedule-summary")
def announce_schedule(
    sender: object, say: Callable[[str], None] | None = None, first: bool = False, **kwargs: Any
) -> None:
    """At the worker's start, say which sources it will harvest, and when."""
    if not first or say is None:
        return
    for source in Source.objects.filter(harvest_every_days__gt=0).order_by("next_harvest_at"):
        when = source.next_harvest_at
        say(
            _("Moisson programmée : « %(source)s » tous les %(days)s jours, prochaine le %(next)s.")
            % {
                "source": source.name,
                "days": source.harvest_every_days,
                "next": timezone.localtime(when).strftime("%d/%m/%Y %H:%M")
                if when
                else _("dès maintenant"),
            }
        )
