"""Writes to the coefficient tables, as the administration makes them."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from maillage.catalog.signals import announce_inventory_change

from .models import Coefficient, CoefficientOverride

VALUE_FIELDS = {"low", "central", "high"}


def save_coefficient(coefficient: Coefficient, changed: list[str] | None) -> Coefficient:
    """Save a coefficient from the administration. `changed` lists the fields the person
    changed (None: a new coefficient). A changed value makes a new version; any change is
    remembered (`edited_at`) so that loading the project file again keeps it."""
    with transaction.atomic():
        if changed is None:
            coefficient.origin = Coefficient.Origin.ADMIN
        else:
            if VALUE_FIELDS & set(changed):
                coefficient.version += 1
            if changed:
                coefficient.edited_at = timezone.now()
        coefficient.save()
        if changed is None or changed:
            # The stored impacts use it: they are stale until the next refresh (queued).
            announce_inventory_change(Coefficient, f"coefficient {coefficient.key}")
    return coefficient


def save_override(override: CoefficientOverride, user: Any = None) -> CoefficientOverride:
    """Save a territory's value of a coefficient, with who entered it first."""
    if override.created_by_id is None and user is not None and user.is_authenticated:
        override.created_by = user
    with transaction.atomic():
        override.save()
        announce_inventory_change(CoefficientOverride, f"valeur locale {override}")
    return override


def delete_overrides(overrides: list[CoefficientOverride]) -> None:
    """Remove territories' values: the national value applies again, from the next refresh."""
    with transaction.atomic():
        for override in overrides:
            override.delete()  # one by one: each deletion kept in the history
        if overrides:
            announce_inventory_change(CoefficientOverride, "valeurs locales supprimées")
