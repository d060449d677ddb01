"""Beyond `MAILLAGE_IMPORT_MAX_REJECTED_KEPT` rejected rows in one job, a rejected row's cells
are not stored: its report row keeps its number, identifier, outcome and reasons (the job's
counts stay exact), and the job's notes say so. An 867 KB workbook once gave 3 million
rejected rows, 630 MB of database.

Called from one place, where report rows are inserted (`writes.insert_items`). The note is
added when the job is saved (a `pre_save` receiver), since the engine sets the job's notes
once reading ends.
"""

from typing import Any

from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from .limits import import_limits, number
from .models import HarvestJob, Outcome

_SEEN = "_maillage_rejected_seen"  # rejected rows met so far, on the job being run
_CAPPED = "_maillage_rejected_cap"  # the cap, once it was passed


def drop_cells_beyond_cap(job: HarvestJob, items: list[Any]) -> None:
    """Empty the cells (`raw`) of the rejected report rows beyond the cap, in place."""
    seen = getattr(job, _SEEN, 0)
    cap = import_limits().rejected_kept
    for item in items:
        if item.outcome == Outcome.REJECTED:
            seen += 1
            if seen > cap:
                item.raw = "{}"
    setattr(job, _SEEN, seen)
    if seen > cap:
        setattr(job, _CAPPED, cap)


def cap_note(cap: int) -> str:
    return _(
        "lignes rejetées : au-delà des %(cap)s premières, leurs cellules ne sont pas gardées "
        "dans le rapport (motifs et comptes le sont) ; MAILLAGE_IMPORT_MAX_REJECTED_KEPT"
    ) % {"cap": number(cap)}


@receiver(pre_save, sender=HarvestJob, dispatch_uid="sources-rejected-cap-note")
def _say_it_in_the_notes(sender: object, instance: HarvestJob, **kwargs: Any) -> None:
    cap = getattr(instance, _CAPPED, None)
    if cap is None:
        return
    note = cap_note(cap)
    notes = list(instance.notes or [])
    if note not in notes:
        instance.notes = [*notes, note]
