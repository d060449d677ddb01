"""Writes of the indicators: recompute every territory's figures, and note that the inventory
changed (which makes the stored figures out of date)."""

import datetime
import time
from collections.abc import Callable

import orjson
from django.db import transaction
from django.utils import timezone

from maillage.core import fastwrite

from . import compute, inputs
from .models import DataChange, IndicatorRun, TerritoryFigures
from .signals import figures_refreshed

Progress = Callable[[str], None]


def note_data_change(reason: str = "") -> None:
    """Every write that changes what the figures count (imports, merges, edits, publications,
    activity reports) ends here through `catalog.signals.inventory_changed`. One row, updated
    in place: cheap enough for every save."""
    now = timezone.now()
    updated = DataChange.objects.filter(pk=1).update(changed_at=now, reason=reason[:200])
    if not updated:
        DataChange.objects.create(pk=1, changed_at=now, reason=reason[:200])


def on_inventory_changed(sender: object, reason: str = "", **kwargs: object) -> None:
    from .tasks import queue_refresh

    note_data_change(reason)
    queue_refresh()


@transaction.atomic
def recompute(today: datetime.date | None = None, progress: Progress | None = None) -> IndicatorRun:
    """Compute every indicator of every territory and replace the stored figures in one
    transaction (readers see the old figures until it commits)."""
    say = progress or (lambda message: None)
    today = today or timezone.localdate()
    started = time.perf_counter()
    say("lecture du référentiel et de l'inventaire…")
    referential = inputs.load_referential()
    typology = inputs.load_typology()
    inventory = inputs.load_inventory(referential, typology, today)
    covered = inputs.load_coverage(referential, typology)
    say(f"{inventory.size} initiatives, {referential.size} territoires : calcul…")
    run = IndicatorRun.objects.create(
        computed_at=timezone.now(),
        reference_date=today,
        initiatives=int((inventory.commune >= 0).sum()),
        territories=referential.size,
    )
    TerritoryFigures.objects.all().delete()
    # orjson writes NaN as null (see compute.documents); both databases take the JSON text.
    rows = [
        (territory_id, run.pk, orjson.dumps(document).decode())
        for territory_id, document in compute.documents(
            referential, inventory, typology, today, covered
        )
    ]
    say("écriture…")
    fastwrite.insert(TerritoryFigures, ["territory_id", "run_id", "figures"], rows)
    run.seconds = round(time.perf_counter() - started, 3)
    run.save(update_fields=["seconds"])
    IndicatorRun.objects.exclude(pk=run.pk).delete()
    # After `seconds`: the indicators' own time stays theirs, the figures above time their own.
    figures_refreshed.send(sender=IndicatorRun, run=run, progress=say)
    return run


def refresh_if_stale() -> bool:
    """Recompute when the inventory changed since the last run, or when nothing was computed
    yet (the background worker's task; `maillage indicators --recompute` always recomputes).
    Returns whether it recomputed."""
    from .selectors import is_stale, latest_run

    run = latest_run()
    if run is not None and not is_stale(run):
        return False
    recompute()
    return True
