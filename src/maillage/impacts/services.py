"""Writes to the coefficient tables, as the administration makes them."""

from typing import Any

from django.db import transaction
from django.utils import timezone

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
    return coefficient


def save_override(override: CoefficientOverride, user: Any = None) -> CoefficientOverride:
    """Save a territory's value of a coefficient, with who entered it first."""
    if override.created_by_id is None and user is not None and user.is_authenticated:
        override.created_by = user
    override.save()
    return override
