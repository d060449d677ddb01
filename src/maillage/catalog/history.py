"""History of initiatives: one record per change, and a baseline written when first needed.

An import of a million rows does not copy every new initiative into the history table (that
copy cost a tenth of the import). The history of an imported initiative starts, instead,
the first time it changes: just before the change, its stored state is recorded as the
creation ("+", dated from its creation, with the import that created it as the reason), so
every change still reads as a before/after pair.
"""

from collections.abc import Iterable

from django.utils.translation import gettext as _

from .models import INITIATIVE_HISTORY, Initiative


def ensure_baseline(pks: Iterable[int]) -> int:
    """Write the creation record of the initiatives that have no history yet; returns how
    many were written."""
    wanted = set(pks)
    if not wanted:
        return 0
    with_history = set(
        Initiative.history.filter(id__in=wanted).values_list("id", flat=True).distinct()
    )
    missing = list(
        Initiative.objects.filter(pk__in=wanted - with_history).prefetch_related(
            "source_records__source", "secondary_categories", "exchange_modes"
        )
    )
    for initiative in missing:
        initiative._history_date = initiative.created_at  # type: ignore[attr-defined]
        initiative._change_reason = _creation_reason(initiative)  # type: ignore[attr-defined]
    # In bulk: a source update may touch thousands of initiatives at once.
    records = Initiative.history.bulk_history_create(missing) or []
    for record, initiative in zip(records, missing, strict=True):
        if initiative.secondary_categories.all() or initiative.exchange_modes.all():
            INITIATIVE_HISTORY.create_historical_record_m2ms(record, initiative)
    return len(missing)


def _creation_reason(initiative: Initiative) -> str:
    records = sorted(initiative.source_records.all(), key=lambda r: r.first_seen_job_id or 0)
    if records and records[0].first_seen_job_id:
        first = records[0]
        return f"import {first.source.name} #{first.first_seen_job_id}"
    return _("création (état enregistré avant la première modification)")
