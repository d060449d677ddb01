"""Merge two initiatives found to be one, and undo it.

The survivor keeps its values; fields it lacks are filled from the absorbed one (and noted,
to be emptied again on undo). The absorbed initiative is archived with `merged_into`, never
deleted; its source records now point to the survivor, so later harvests of either source
update the one initiative. Both changes are in the history.
"""

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.catalog.history import ensure_baseline
from maillage.catalog.models import Initiative
from maillage.catalog.signals import announce_inventory_change
from maillage.core.errors import MaillageError
from maillage.sources.models import SourceRecord

from .models import DuplicatePair, Merge

FILLABLE = ("description", "address", "postcode", "website", "siret", "rna", "osm_id",
            "network", "created_on", "opened_on", "carrier", "counterpart")  # fmt: skip


STALE_WHEN_ABSORBED = [DuplicatePair.Status.TO_REVIEW, DuplicatePair.Status.LATER]


class MergeRefused(MaillageError):
    """Stable code `merge-refused` (409): one side is already archived or merged."""

    code = "merge-refused"
    status = 409


def _empty(value: Any) -> bool:
    return value is None or value == ""


def _save(initiative: Initiative, fields: list[str], reason: str, user: Any) -> None:
    """Save the fields and write one history record. The many-to-many fields do not change
    in a merge: the record is written without them (simple-history's own save hook would
    add a query per many-to-many field, a third of an automatic merge's time)."""
    initiative.skip_history_when_saving = True  # type: ignore[attr-defined]
    try:
        initiative.save(update_fields=[*fields, "updated_at"])
    finally:
        del initiative.skip_history_when_saving  # type: ignore[attr-defined]
    Initiative.history.bulk_history_create(
        [initiative],
        update=True,
        default_user=user if getattr(user, "is_authenticated", False) else None,
        default_change_reason=reason,
    )


@transaction.atomic
def merge_pair(
    pair: DuplicatePair,
    survivor_id: int | None = None,
    user: Any = None,
    automatic: bool = False,
    baseline: bool = True,
    batch: str = "",
) -> Merge:
    """`baseline=False` when the caller already wrote the history baselines (in bulk);
    `batch` names the group decision the merge belongs to (undone together)."""
    announce_inventory_change(Merge, "fusion de doublons")
    ids = sorted([pair.left_id, pair.right_id])
    both = {i.pk: i for i in Initiative.objects.select_for_update().filter(pk__in=ids)}
    if len(both) != 2 or any(i.archived_at or i.merged_into_id for i in both.values()):
        raise MergeRefused(
            _("Fusion impossible : l'une des deux fiches est archivée ou fusionnée.")
        )
    survivor = both[survivor_id or ids[0]]  # by default the older one keeps its id
    absorbed = both[ids[1] if survivor.pk == ids[0] else ids[0]]
    if baseline:
        ensure_baseline(ids)
    filled = {}
    for name in FILLABLE:
        if _empty(getattr(survivor, name)) and not _empty(getattr(absorbed, name)):
            old = getattr(survivor, name)
            filled[name] = old.isoformat() if hasattr(old, "isoformat") else old
            setattr(survivor, name, getattr(absorbed, name))
    moved = sorted(absorbed.source_records.values_list("id", flat=True))
    sources_before = dict(survivor.field_sources)
    survivor.field_sources = _provenance(survivor, filled, moved)
    _save(
        survivor,
        [*filled, "field_sources"],
        _("fusion : complétée par la fiche n° %(id)s") % {"id": absorbed.pk},
        user,
    )
    SourceRecord.objects.filter(pk__in=moved).update(initiative=survivor)
    # Open pairs with the absorbed initiative are moot: the next run compares the survivor.
    DuplicatePair.objects.filter(status__in=STALE_WHEN_ABSORBED).filter(
        Q(left_id=absorbed.pk) | Q(right_id=absorbed.pk)
    ).exclude(pk=pair.pk).delete()
    absorbed.archived_at = timezone.now()
    absorbed.merged_into = survivor
    _save(
        absorbed,
        ["archived_at", "merged_into"],
        _("fusion dans la fiche n° %(id)s") % {"id": survivor.pk},
        user,
    )
    pair.status = DuplicatePair.Status.MERGED
    pair.decided_by = user if getattr(user, "is_authenticated", False) else None
    pair.decided_at = timezone.now()
    pair.save(update_fields=["status", "decided_by", "decided_at"])
    return Merge.objects.create(
        pair=pair, survivor=survivor, absorbed=absorbed, automatic=automatic,
        merged_by=pair.decided_by, filled=filled, moved_records=moved,
        field_sources_before=sources_before, batch=batch,
    )  # fmt: skip


def _provenance(survivor: Initiative, filled: dict[str, Any], moved: list[int]) -> dict[str, int]:
    """Which record each field's value now comes from: the absorbed one's for the fields it
    filled, the survivor's own (oldest live record) for the others — written out, so that
    the next harvest of either source knows whose value it would replace."""
    own = survivor.source_records.filter(archived_at__isnull=True).order_by("pk")
    mine = own.values_list("pk", "imported").first()
    sources = dict(survivor.field_sources)
    if mine is not None:
        for name in mine[1]:
            sources.setdefault(name, mine[0])
    if moved:
        for name in filled:
            sources[name] = moved[0]
    return sources


@transaction.atomic
def undo_merge(merge: Merge, user: Any = None) -> None:
    """Give the absorbed initiative back its records and its place; empty again the fields
    the merge filled, unless someone changed them since."""
    if merge.undone_at is not None:
        raise MergeRefused(_("Cette fusion a déjà été annulée."))
    announce_inventory_change(Merge, "fusion annulée")
    survivor = Initiative.objects.select_for_update().get(pk=merge.survivor_id)
    absorbed = Initiative.objects.select_for_update().get(pk=merge.absorbed_id)
    restored = []
    for name, old in merge.filled.items():
        if getattr(survivor, name) == getattr(absorbed, name):
            setattr(survivor, name, old)
            restored.append(name)
    survivor.field_sources = merge.field_sources_before
    _save(
        survivor,
        [*restored, "field_sources"],
        _("fusion annulée avec la fiche n° %(id)s") % {"id": absorbed.pk},
        user,
    )
    SourceRecord.objects.filter(pk__in=merge.moved_records).update(initiative=absorbed)
    absorbed.archived_at = None
    absorbed.merged_into = None
    _save(absorbed, ["archived_at", "merged_into"], _("fusion annulée"), user)
    merge.undone_at = timezone.now()
    merge.save(update_fields=["undone_at"])
    if merge.pair is not None:
        merge.pair.status = DuplicatePair.Status.UNDONE
        merge.pair.save(update_fields=["status"])
