"""Every territory's impacts, computed in one pass and stored, so that no request computes.

Run when the indicators finish a refresh (`indicators.signals.figures_refreshed`, connected in
`apps.ImpactsConfig.ready`), inside the same transaction: readers never see new indicators next
to old impacts. `maillage impacts --recompute` runs it on demand.

One pass: every counted initiative is estimated once (initiatives alike are evaluated once,
see `compute.estimate`), then its figures are added to its commune, EPCI, département, région
and France. The stored document of a territory is exactly `compute.territory_impacts(t)`'s.
"""

import time
from collections.abc import Callable, Hashable
from typing import Any

import orjson
from django.db import transaction
from django.utils import timezone

from maillage.core import fastwrite
from maillage.territories.models import Territory

from .coefficients import CoefficientTable
from .compute import (
    Signature,
    Sums,
    TerritoryImpacts,
    counted,
    estimate,
    latest_reports,
    places,
    signature,
)
from .engine import DimensionResult
from .formulas import FormulaSet, project_formulas
from .models import ImpactRun, TerritoryImpactFigures
from .swings import Moves

Progress = Callable[[str], None]
COUNTRY = "fr"


def every_territory(
    table: CoefficientTable | None = None, formulas: FormulaSet | None = None
) -> dict[str, Sums]:
    """territory id → its sums, for France and every territory holding an initiative."""
    table = table or CoefficientTable.load()
    formulas = formulas or project_formulas()
    initiatives = counted().filter(commune__isnull=False)
    reports = latest_reports(initiatives)
    memo: dict[Signature, list[DimensionResult]] = {}
    # Initiatives alike in one commune are added once, with their number, to each territory
    # above them: the per-territory work follows the groups, not the initiatives. A signature
    # stands as a small int (hashing the nested tuple once per initiative, not per territory).
    ids: dict[Signature, int] = {}
    groups: dict[tuple[tuple[str, ...], int], list[Any]] = {}
    for place in places(initiatives):
        mine = reports.get(place.initiative_id, {})
        impact = estimate(place, mine, table, formulas, memo)
        number = ids.setdefault(signature(place, mine, table), len(ids))
        group = groups.setdefault((place.chain, number), [impact, 0])
        group[1] += 1
    # One cache of the sensitivity's evaluations for all: a group's value is the same in
    # every territory that holds it.
    cache: dict[tuple[Hashable, str], tuple[float, Moves]] = {}
    sums: dict[str, Sums] = {COUNTRY: Sums(cache=cache)}
    for (chain, number), (impact, count) in groups.items():
        for territory_id in (*chain, COUNTRY):
            target = sums.get(territory_id)
            if target is None:
                target = sums[territory_id] = Sums(cache=cache)
            target.add(impact, table, number, count)
    return sums


def documents(
    table: CoefficientTable | None = None, formulas: FormulaSet | None = None
) -> list[tuple[str, dict[str, object]]]:
    table = table or CoefficientTable.load()
    formulas = formulas or project_formulas()
    sums = every_territory(table, formulas)
    # Only the id and the name go into the document: never load geometries.
    territories = Territory.objects.filter(id__in=list(sums)).only("id", "name")
    found: list[tuple[str, dict[str, object]]] = []
    for territory in territories.order_by("id"):
        impacts = TerritoryImpacts(territory, sums[territory.id], table, formulas.version)
        found.append((territory.id, impacts.as_dict()))
    return found


@transaction.atomic
def recompute(progress: Progress | None = None) -> ImpactRun:
    """Compute and replace every stored impact document in one transaction."""
    say = progress or (lambda message: None)
    started = time.perf_counter()
    formulas = project_formulas()
    say("impacts : calcul…")
    found = documents(CoefficientTable.load(), formulas)
    country = dict(found).get(COUNTRY, {})
    run = ImpactRun.objects.create(
        computed_at=timezone.now(),
        initiatives=int(country.get("initiatives", 0)),  # type: ignore[call-overload]
        territories=len(found),
        formulas_version=formulas.version,
    )
    TerritoryImpactFigures.objects.all().delete()
    say("impacts : écriture…")
    rows = [(tid, run.pk, orjson.dumps(document).decode()) for tid, document in found]
    fastwrite.insert(TerritoryImpactFigures, ["territory_id", "run_id", "document"], rows)
    run.seconds = round(time.perf_counter() - started, 3)
    run.save(update_fields=["seconds"])
    ImpactRun.objects.exclude(pk=run.pk).delete()
    say(f"impacts : {run.territories} territoires calculés en {run.seconds:.1f} s")
    return run


def on_figures_refreshed(
    sender: object, progress: Progress | None = None, **kwargs: object
) -> None:
    recompute(progress=progress)
