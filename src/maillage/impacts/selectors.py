"""Reads of the stored impacts: what the portrait, the API and the explanation page show.
Never a computation nor a write: a stale document is served with `stale: true`."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.core.errors import MaillageError
from maillage.indicators.models import DataChange
from maillage.territories.models import Territory

from .dimensions import NO_BASIS
from .models import ImpactRun, TerritoryImpactFigures


class ImpactsNotComputed(MaillageError):
    """No impact run yet (stable code `impacts-not-computed`, 503: come back after the
    computation)."""

    code = "impacts-not-computed"
    status = 503
    title = gettext_lazy("Impacts pas encore calculés")


class FigureNotFound(MaillageError):
    """A dimension the territory has no figure of (stable code `impact-not-found`, 404)."""

    code = "impact-not-found"
    status = 404


def latest_run() -> ImpactRun | None:
    return ImpactRun.objects.order_by("-id").first()


def is_stale(run: ImpactRun) -> bool:
    """The inventory changed after these impacts were computed (as the indicators say)."""
    change = DataChange.objects.filter(pk=1).values_list("changed_at", flat=True).first()
    return change is not None and change > run.computed_at


def empty_document(territory: Territory, run: ImpactRun) -> dict[str, Any]:
    """A territory without any counted initiative: nothing stored, nothing to estimate."""
    return {
        "territory": territory.id,
        "name": territory.name,
        "formulas_version": run.formulas_version,
        "initiatives": 0,
        "initiatives_without_basis": 0,
        "without_basis_message": str(NO_BASIS),
        "categories_without_basis": [],
        "figures": [],
        "not_estimated": [],
    }


def stored_impacts(territory: Territory) -> dict[str, Any]:
    """A territory's stored impact document, with when it was computed and whether the
    inventory changed since."""
    run = latest_run()
    if run is None:
        raise ImpactsNotComputed(
            _(
                "Les impacts n'ont pas encore été calculés : lancez « maillage impacts --recompute »."
            )
        )
    document = (
        TerritoryImpactFigures.objects.filter(territory_id=territory.id)
        .values_list("document", flat=True)
        .first()
    )
    # A stale document is served as is: the change that made it stale queued the refresh
    # (indicators.services.on_inventory_changed); a read never writes, not even a task.
    stale = is_stale(run)
    return {
        **(document or empty_document(territory, run)),
        "computed_at": run.computed_at.isoformat(),
        "stale": stale,
    }


def stored_figure(territory: Territory, indicator: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The stored document and one of its figures, or `FigureNotFound`."""
    document = stored_impacts(territory)
    for figure in document["figures"]:
        if figure["indicator"] == indicator:
            return document, figure
    raise FigureNotFound(
        _("Pas de chiffre « %(indicator)s » pour %(name)s.")
        % {"indicator": indicator, "name": territory.name}
    )
