"""Which value an initiative keeps when several sources feed it (after a merge of duplicates).

The survival rule, in this order:

1. A value edited by staff wins: the source's new value is recorded as a conflict, shown in
   the job's report, never written silently.
2. Otherwise the value of the source that vouched for it most recently wins
   (`SourceRecord.verified_on`: the source's own "last updated" date when it gives one, else
   the day an import brought the value).
3. Vouched for the same day: the more trusted source wins (`Source.trust`); same trust, the
   value in place stays.

`Initiative.field_sources` says, field by field, which source record gave the value in
place; without an entry, the initiative's oldest live record did. An initiative fed by one
source never needs any of this: its record owns every field.
"""

import datetime

from maillage.catalog.models import Initiative

from .models import SourceRecord


def owner_of(
    initiative: Initiative, name: str, record: SourceRecord, siblings: list[SourceRecord]
) -> SourceRecord | None:
    """The other live record whose value the field holds, or None when it is `record`'s."""
    if not siblings:
        return None
    owner = initiative.field_sources.get(name)
    if owner is None:
        owner = min(r.pk for r in [record, *siblings])
    if owner == record.pk:
        return None
    # An owner that is no longer live (archived, moved back by an undo) gives way.
    return next((s for s in siblings if s.pk == owner), None)


def survives(record: SourceRecord, verified_on: datetime.date | None, other: SourceRecord) -> bool:
    """Does `record`'s new value replace `other`'s?"""
    theirs = other.verified_on
    if verified_on and theirs and verified_on != theirs:
        return verified_on > theirs
    return record.source.trust > other.source.trust
