"""Footprint imports: the same Source → HarvestJob → HarvestItem path as initiatives, but
rows become platform footprint figures (`catalog.PlatformFootprint`).

Every row ends new, updated, unchanged, skipped or rejected with its reasons, compared with
the source's last run through its `SourceRecord`s (one per listing, or per figure of a
table; they point to no initiative). The report rows are written batch by batch; the
records and the figures only in the job's last transaction — a run that fails or is
interrupted leaves the figures as they were, and its report is taken back like any other
(harvest._fail). A dry run reads everything and writes only its report and the counts of
what it would change (`HarvestJob.figures`).
"""

import datetime
import hashlib
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.catalog.models import Category, PlatformFootprint
from maillage.catalog.services import FootprintPlan, apply_footprints, plan_footprints
from maillage.core import fastwrite
from maillage.core.fastwrite import WriterTurns
from maillage.territories.area import AreaLocator
from maillage.territories.models import Territory, TerritoryAlias
from maillage.territories.selectors import ID_PATTERN
from maillage.territories.subdivisions import SubdivisionLocator, get_subdivisions

from .backends.footprint_base import FootprintBackend, FootprintRow, Resolution
from .models import HarvestItem, HarvestJob, Outcome, Source, SourceRecord
from .pipeline import to_json
from .records import RawRow
from .writes import ReportRow, insert_items

BATCH_SIZE = 2000
FigureKey = tuple[str, str, str, datetime.date]
_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


class Referential:
    """What a footprint backend may ask of the referential, read once per job."""

    def __init__(self) -> None:
        rows = Territory.objects.values_list("id", "level", "name", "population")
        self.territories = {tid: (level, name, pop) for tid, level, name, pop in rows}
        self.aliases = {
            code: (tid, kind, name)
            for code, tid, kind, name in TerritoryAlias.objects.values_list(
                "code", "territory_id", "kind", "name"
            )
        }
        self.categories = set(Category.objects.filter(retired=False).values_list("code", flat=True))
        self._area = AreaLocator()
        self._subdivisions: SubdivisionLocator | None = None

    @property
    def subdivisions(self) -> SubdivisionLocator:
        if self._subdivisions is None:
            self._subdivisions = get_subdivisions()
        return self._subdivisions

    def locate(self, lons: Sequence[float], lats: Sequence[float]) -> list[str | None]:
        """Communes of the points (the index covers the file's area only: see area.py)."""
        if not lons:
            return []
        return list(self._area.locate(np.asarray(lons, float), np.asarray(lats, float)))

    def name(self, territory_id: str) -> str:
        found = self.territories.get(territory_id)
        return found[1] if found else territory_id

    def population(self, territory_id: str) -> int | None:
        found = self.territories.get(territory_id)
        return found[2] if found else None

    def category_exists(self, code: str) -> bool:
        return code in self.categories

    def commune_of(self, code: str) -> str | None:
        """The current commune of an INSEE code: current, old, delegated or arrondissement."""
        tid = f"com:{code}"
        if tid in self.territories:
            return tid
        alias = self.aliases.get(code)
        return alias[0] if alias else None

    def resolve(self, text: str) -> Resolution:
        """A territory id (`dep:35`, `com:69123`, `fr`) or an INSEE code (`69123`): the
        current territory, an old commune code resolved with a note; an arrondissement
        refused (its figure is not its commune's)."""
        tid = text.strip()
        if tid.upper() == "FR":
            tid = "fr"
        if _INSEE.match(tid.upper()):
            tid = f"com:{tid.upper()}"
        if not ID_PATTERN.fullmatch(tid):
            return Resolution(None)
        if tid in self.territories:
            return Resolution(tid)
        alias = self.aliases.get(tid[4:]) if tid.startswith("com:") else None
        if alias is None:
            return Resolution(None)
        target, kind, name = alias
        if kind == TerritoryAlias.Kind.ARRONDISSEMENT:
            return Resolution(
                None,
                _(
                    "%(code)s (%(name)s) est un arrondissement municipal : le chiffre attendu "
                    "est celui de la commune entière (%(target)s)"
                )
                % {"code": tid[4:], "name": name, "target": target},
            )
        return Resolution(
            target,
            _("%(code)s (%(name)s) correspond aujourd'hui à %(target)s (%(id)s)")
            % {"code": tid[4:], "name": name, "target": self.name(target), "id": target},
        )

    def owners(self, keys: list[FigureKey]) -> dict[FigureKey, str]:
        """Import source (origin, "" for a figure entered by hand) of the stored figures
        with these keys."""
        if not keys:
            return {}
        wanted = set(keys)
        found: dict[FigureKey, str] = {}
        rows = PlatformFootprint.objects.filter(
            platform__in={k[0] for k in keys},
            territory_id__in={k[1] for k in keys},
            date__in={k[3] for k in keys},
        ).values_list("platform", "territory_id", "metric", "date", "origin")
        for platform, territory_id, metric, date, origin in rows:
            key = (platform, territory_id, metric, date)
            if key in wanted:
                found[key] = origin
        return found


@dataclass
class Known:
    pk: int
    raw_hash: str
    imported: dict[str, Any]
    archived: bool


@dataclass
class RecordWrites:
    """The records this run changes, written in its last transaction."""

    new: list[tuple[str, str, str]] = field(default_factory=list)  # remote id, hash, JSON
    changed: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)
    archived: list[int] = field(default_factory=list)


def digest(state: dict[str, Any]) -> str:
    return hashlib.sha1(
        orjson.dumps(state, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS),
        usedforsecurity=False,
    ).hexdigest()


def _batches(rows: Iterator[RawRow], size: int) -> Iterator[list[RawRow]]:
    while batch := list(islice(rows, size)):
        yield batch


def _known(source: Source, keys: list[str]) -> dict[str, Known]:
    if not keys:
        return {}
    return {
        remote_id: Known(pk, raw_hash, imported or {}, archived is not None)
        for pk, remote_id, raw_hash, imported, archived in SourceRecord.objects.filter(
            source=source, remote_id__in=keys
        ).values_list("pk", "remote_id", "raw_hash", "imported", "archived_at")
    }


def decide(
    read: list[FootprintRow], known: dict[str, Known], writes: RecordWrites
) -> list[ReportRow]:
    """Each row's outcome against what the source's last run left (no database)."""
    items = []
    for row in read:
        item = ReportRow(
            row.row.number,
            row.key or (row.row.remote_id or ""),
            row.kept,
            Outcome.REJECTED,
            reasons=list(row.reasons),
            commune_id=row.commune_id,
            category=row.category,
        )
        if row.skipped:
            item.outcome = Outcome.SKIPPED
        elif not row.rejected:
            hashed = digest(row.state)
            stored = known.get(row.key)
            if stored is None:
                item.outcome = Outcome.NEW
                writes.new.append((row.key, hashed, to_json(row.state)))
            elif stored.archived or stored.raw_hash != hashed:
                item.outcome = Outcome.UPDATED
                item.diff = {
                    name: [stored.imported.get(name), value]
                    for name, value in row.state.items()
                    if stored.imported.get(name) != value
                }
                writes.changed.append((stored.pk, hashed, row.state))
            else:
                item.outcome = Outcome.UNCHANGED
                item.raw = {}  # seen again as it was: its cells are in an earlier report
        items.append(item)
    return items


def run_footprint(
    job: HarvestJob, source: Source, backend: FootprintBackend, request: Any
) -> Counter:
    """Read, decide and report the file batch by batch, then write records and figures in
    the job's last transaction. Returns the outcomes."""
    from .harvest import Tally  # the engine's own counts (harvest imports this module)

    ctx = Referential()
    backend.start(
        ctx, source.label or source.name, source.licence or backend.default_licence, source.name
    )
    tally = Tally()
    writes = RecordWrites()
    seen: set[str] = set()
    columns: dict[str, None] = {}
    kinds: Counter[str] = Counter()
    turns = WriterTurns()
    for batch in _batches(iter(backend.rows(Path(request.path))), BATCH_SIZE):
        read = backend.read(batch)
        keys = [r.key for r in read if r.key]
        seen.update(keys)
        items = decide(read, _known(source, keys), writes)
        with turns, transaction.atomic():
            insert_items(job, items)
            job.rows += len(batch)
            job.progress_at = timezone.now()
            HarvestJob.objects.filter(pk=job.pk).update(rows=job.rows, progress_at=job.progress_at)
        for cells in (batch[0].data, *(r.kept for r in read if r.rejected)):
            for key in cells:
                columns.setdefault(str(key), None)
        tally.add(items)
        kinds.update(r.category for r in read if not r.rejected and r.category)
        request.progress(job.rows)
    figures = backend.figures()
    plan = plan_footprints(source.name, figures)
    archived = _missing(job, source, seen) if backend.tracks_presence else []
    writes.archived = [pk for pk, _item in archived]
    job.mapping = backend.effective_mapping or {}
    job.columns = list(columns)
    notes = [*backend.notes, *backend.final_notes(), *_plan_notes(plan)]
    job.notes = list(dict.fromkeys(str(n) for n in notes))
    with transaction.atomic():  # the last transaction: records and figures at once
        if not request.dry_run:
            _write_records(job, source, writes)
            apply_footprints(source.name, plan)
        items = [item for _pk, item in archived]
        insert_items(job, items)
        tally.add(items)
        tally.save_to(job)
        job.categories = dict(kinds.most_common())
        job.figures = {
            **plan.counts(),
            "figures": len(figures),
            "date": (d.isoformat() if (d := backend.date_described()) else None),
            "territories": len({f.territory_id for f in figures}),
        }
        job.status = (
            HarvestJob.Status.DONE_WITH_ERRORS
            if tally.outcomes["rejected"]
            else HarvestJob.Status.DONE
        )
        job.finished_at = timezone.now()
        job.save()
    if not request.dry_run:
        fastwrite.refresh_statistics(SourceRecord, HarvestItem, PlatformFootprint)
    return tally.outcomes


def _missing(job: HarvestJob, source: Source, seen: set[str]) -> list[tuple[int, ReportRow]]:
    """The source's records absent from this file (a listing gone from the snapshot)."""
    gone = []
    for pk, remote_id in (
        SourceRecord.objects.filter(source=source, archived_at__isnull=True)
        .values_list("pk", "remote_id")
        .iterator(chunk_size=20000)
    ):
        if remote_id not in seen:
            gone.append(
                (
                    pk,
                    ReportRow(
                        0,
                        remote_id,
                        {},
                        Outcome.ARCHIVED,
                        reasons=[_("absente de ce fichier : archivée (jamais supprimée)")],
                    ),
                )
            )
    return gone


def _write_records(job: HarvestJob, source: Source, writes: RecordWrites) -> None:
    today = timezone.localdate()
    fastwrite.insert(
        SourceRecord,
        ["remote_id", "raw_hash", "imported"],
        writes.new,
        constants={
            "source_id": source.pk,
            "first_seen_job_id": job.pk,
            "last_changed_job_id": job.pk,
            "verified_on": today.isoformat(),
        },
    )
    changed = [
        SourceRecord(
            pk=pk,
            raw_hash=hashed,
            imported=state,
            last_changed_job_id=job.pk,
            archived_at=None,
            missing_since=None,
            verified_on=today,
        )
        for pk, hashed, state in writes.changed
    ]
    SourceRecord.objects.bulk_update(
        changed,
        ["raw_hash", "imported", "last_changed_job", "archived_at", "missing_since", "verified_on"],
        batch_size=1000,
    )
    now = timezone.now()
    for start in range(0, len(writes.archived), 5000):
        SourceRecord.objects.filter(pk__in=writes.archived[start : start + 5000]).update(
            archived_at=now
        )


def _plan_notes(plan: FootprintPlan) -> list[str]:
    if not plan.conflicts:
        return []
    figure, owner = plan.conflicts[0]
    return [
        _(
            "%(count)s chiffre(s) déjà donné(s) par une autre source pour la même plateforme, "
            "le même territoire, le même indicateur et la même date : gardés tels quels, non "
            "remplacés (par exemple %(territory)s, %(metric)s, %(date)s : source « %(owner)s »)"
        )
        % {
            "count": len(plan.conflicts),
            "territory": figure.territory_id,
            "metric": figure.metric,
            "date": figure.date.isoformat(),
            "owner": owner or _("saisie à la main"),
        }
    ]
