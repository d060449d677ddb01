"""The figures are recomputed in the background worker, never in a request: a change to the
inventory queues one refresh (pages meanwhile serve the stored figures with a notice)."""

from typing import Any

from django.db import transaction
from django_tasks import task

from maillage.core.tasks import is_queued


@task()
def refresh_figures() -> dict[str, Any]:
    from .services import refresh_if_stale

    return {"recomputed": refresh_if_stale()}


def queue_refresh() -> None:
    """Queue a refresh after the current transaction, unless one is already waiting (a
    refresh already running started before this change: another one is needed)."""
    transaction.on_commit(_queue_unless_waiting)


def _queue_unless_waiting() -> None:
    if not is_queued(refresh_figures):
        refresh_figures.enqueue()
