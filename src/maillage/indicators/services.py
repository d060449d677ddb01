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
    note_data_change(reason)


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
        for territory_id, document in compute.documents(referential, inventory, typology, today)
    ]
    say("écriture…")
    fastwrite.insert(TerritoryFigures, ["territory_id", "run_id", "figures"], rows)
    run.seconds = round(time.perf_counter() - started, 3)
    run.save(update_fields=["seconds"])
    IndicatorRun.objects.exclude(pk=run.pk).delete()
    return run


# Up to this many initiatives a recompute takes a second or two: a page may wait for it.
INLINE_RECOMPUTE_MAX = 100_000


def refresh_if_stale(max_initiatives: int | None = INLINE_RECOMPUTE_MAX) -> bool:
    """Recompute now when the inventory changed since the last run. Pages call it with the
    default limit: a larger inventory keeps its figures, marked out of date, until `maillage
    indicators --recompute`; background jobs call it without a limit, and also compute the
    first figures. Returns whether it recomputed."""
    from .selectors import is_stale, latest_run

    run = latest_run()
    if run is not None and not is_stale(run):
        return False
    if run is None and max_initiatives is not None:
        return False  # nothing computed yet: `make setup` or the command does it
    if run is not None and max_initiatives is not None and run.initiatives > max_initiatives:
        return False
    recompute()
    return True
