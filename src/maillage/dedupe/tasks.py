"""The duplicate search as background work: staff ask for it on the review queue page, the
worker runs it (with the command's default thresholds), never the request."""

from typing import Any

from django.db import transaction
from django_tasks import task

from maillage.core.tasks import is_queued


@task()
def find_duplicates() -> dict[str, Any]:
    from .services import run_dedupe

    run = run_dedupe().run
    return {"run": run.pk, "auto_merged": run.auto_merged, "to_review": run.to_review}


def queue_dedupe() -> bool:
    """Queue a search unless one is already waiting; returns whether one was queued."""
    if is_queued(find_duplicates):
        return False
    transaction.on_commit(find_duplicates.enqueue)
    return True
