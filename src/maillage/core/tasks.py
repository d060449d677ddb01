"""Background work on django-tasks (database backend): imports, figure refreshes and the
scheduled harvests are tasks, queued in the database and run by `maillage worker`, never by a
request.

The worker runs one task at a time. Between tasks it says it is alive (WorkerHeartbeat) and
sends `worker_tick`, to which the domain apps connect their housekeeping (closing the jobs of a
worker that died, queueing the harvests that are due) without core knowing them.
"""

import contextlib
import datetime
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.db import OperationalError, close_old_connections, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks.base import Task, TaskResultStatus

# The worker loop of the pinned django-tasks-db: claims one ready task under a lock and runs it.
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from .models import WorkerHeartbeat

logger = logging.getLogger("maillage.worker")

# Sent by the worker between tasks (and at start), with `worker_id`, `say` (a French line to
# the worker's stderr) and `first` (the worker's first tick); receivers must be quick
# and must not raise for a locked database (the worker logs it and tries at the next tick).
worker_tick = Signal()

# How often an idle worker looks for work, and says it is alive.
POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 15.0
# A worker not seen for this long is taken as gone (pages say no worker is running).
WORKER_SILENT_AFTER = 300.0


class WorkerStopping(BaseException):
    """Raised in the running task when the worker is asked to stop (SIGTERM, Ctrl+C): the task
    may put its work back in the queue (the import's transaction rolls back)."""


def current_worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def process_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def worker_is_dead(worker_id: str) -> bool:
    """True only when the worker ran on this machine and its process is gone; a worker on
    another machine is never judged from here."""
    host, _sep, pid = worker_id.rpartition(":")
    return host == socket.gethostname()[:40] and pid.isdigit() and not process_alive(int(pid))


def enqueue_on_commit(task: Task, *args: Any) -> None:
    """Queue the task once the caller's transaction commits (the worker must see its rows)."""
    transaction.on_commit(lambda: task.enqueue(*args))


def is_queued(task: Task) -> bool:
    """A run of this task is waiting in the queue (not started yet)."""
    return DBTaskResult.objects.filter(
        task_path=task.module_path, status=TaskResultStatus.READY
    ).exists()


def fail_tasks_of_dead_workers() -> int:
    """Tasks left RUNNING by a worker of this machine that died (killed, machine restarted)
    are closed as failed, with the reason."""
    closed = 0
    for result in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING):
        worker = result.worker_ids[-1] if result.worker_ids else ""
        if worker and worker_is_dead(worker):
            result.set_failed(WorkerStopping(_("processus de travail arrêté : %s") % worker))
            closed += 1
    return closed


def worker_active() -> bool:
    """A worker said it was alive lately, or is running a task."""
    recent = timezone.now() - datetime.timedelta(seconds=WORKER_SILENT_AFTER)
    return (
        WorkerHeartbeat.objects.filter(seen_at__gte=recent).exists()
        or DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()
    )


class WorkerLoop:
    """`maillage worker`: run queued tasks one at a time until stopped (or, with `until_idle`,
    until the queue is empty)."""

    def __init__(self, say: Callable[[str], None], poll: float = POLL_SECONDS) -> None:
        self.say = say
        self.poll = poll
        self.worker_id = current_worker_id()
        self.started_at = timezone.now()
        self.last_heartbeat = 0.0
        self.ticks = 0
        self.in_task = False
        self.stopping = False

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
        if self.in_task:
            raise WorkerStopping(_("arrêt demandé (%s)") % signal.strsignal(signum))
        raise SystemExit(0)

    def housekeeping(self) -> None:
        """Heartbeat, then the domain apps' chores; a database held by an import is not an
        error: the next tick tries again."""
        try:
            now = time.monotonic()
            if now - self.last_heartbeat >= HEARTBEAT_SECONDS:
                WorkerHeartbeat.objects.update_or_create(
                    worker_id=self.worker_id,
                    defaults={
                        "host": socket.gethostname()[:255],
                        "pid": os.getpid(),
                        "started_at": self.started_at,
                        "seen_at": timezone.now(),
                    },
                )
                self.last_heartbeat = now
            fail_tasks_of_dead_workers()
            worker_tick.send(
                sender=WorkerLoop, worker_id=self.worker_id, say=self.say, first=not self.ticks
            )
            self.ticks += 1
        except OperationalError as error:
            logger.warning("tâches de fond reportées : %s", error)

    def run_one(self) -> bool:
        """Run the next ready task, if any; returns whether one ran."""
        if not DBTaskResult.objects.ready().exists():
            return False
        worker = Worker(
            queue_names=["*"],
            excluded_queue_names=[],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=1,
            worker_id=self.worker_id,
        )
        self.in_task = True
        try:
            worker.run()
        finally:
            self.in_task = False
        return True

    def run(self, until_idle: bool = False, handle_signals: bool = True) -> None:
        if handle_signals:
            signal.signal(signal.SIGTERM, self._stop)
            signal.signal(signal.SIGINT, self._stop)
        self.say(_("Processus de travail %s prêt.") % self.worker_id)
        try:
            while not self.stopping:
                close_old_connections()
                self.housekeeping()
                if self.run_one():
                    continue
                if until_idle:
                    break
                time.sleep(self.poll)
        finally:
            # A locked database: the worker is taken as gone once silent long enough.
            with contextlib.suppress(OperationalError):
                WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
