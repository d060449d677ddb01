"""Reads of the staff import pages: sources with their last job, a job's progress and
counts, its rows as people read them (the diff as « avant → après »), and the rejected
rows as they were received."""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from maillage.catalog.models import Category, Initiative
from maillage.core.tasks import worker_active

from .items import JobItems
from .models import HarvestItem, HarvestJob, Outcome, Source
from .pipeline import UNCLASSIFIED
from .selectors import job_summary
from .tasks import run_harvest_job

ITEMS_PER_PAGE = 50
RECENT_JOBS = 20
UNFINISHED = (HarvestJob.Status.PENDING, HarvestJob.Status.RUNNING)
# Technical values of a new record that say nothing to the person checking the preview.
HIDDEN_NEW_FIELDS = {"source_name", "source_licence", "source_url", "commune_method"}
REJECTED_REASON_COLUMN = "motif"
# Labels for people; a backend added to the registry later shows under its name until
# it gets one here.
BACKEND_LABELS = {
    "csv": gettext_lazy("CSV avec correspondance des colonnes (déclarée ou proposée)"),
    "xlsx": gettext_lazy("Classeur XLSX avec correspondance des colonnes"),
    "geojson": gettext_lazy("GeoJSON (points ou polygones)"),
    "bnlc": gettext_lazy("Base nationale des lieux de covoiturage (BNLC)"),
    "tiers-lieux": gettext_lazy("Tiers-lieux — recensement CGET 2019"),
    "osm": gettext_lazy("OpenStreetMap (Overpass JSON ou OSM XML)"),
    "gogocarto": gettext_lazy("GoGoCarto / Transiscope (JSON)"),
    "bookcases": gettext_lazy("Boîtes à livres (GeoJSON)"),
    "footprint-airbnb": gettext_lazy(
        "Empreinte d'Airbnb : listings.csv d'Inside Airbnb (chiffres par commune)"
    ),
    "footprint": gettext_lazy(
        "Empreinte des plateformes : tableau de chiffres par territoire (CSV ou XLSX)"
    ),
    "rna": gettext_lazy("Répertoire national des associations (RNA, import ou waldec)"),
}


def backend_label(name: str) -> str:
    return str(BACKEND_LABELS.get(name, name))


def get_job(job_id: int) -> HarvestJob:
    """The one way the import pages fetch a job (staff only: the views check it)."""
    return get_object_or_404(HarvestJob.objects.select_related("source", "started_by"), pk=job_id)


@dataclass
class SourceRow:
    source: Source
    backend_label: str
    last_job_id: int | None
    last_job_status: str
    last_job_dry_run: bool
    last_job_created_at: Any


def sources_overview() -> list[SourceRow]:
    """Every source with its last job (id, status, dry run, date), in one query."""
    last = HarvestJob.objects.filter(source=OuterRef("pk")).order_by("-created_at", "-id")
    sources = Source.objects.annotate(
        last_job_id=Subquery(last.values("pk")[:1]),
        last_job_status=Subquery(last.values("status")[:1]),
        last_job_dry_run=Subquery(last.values("dry_run")[:1]),
        last_job_created_at=Subquery(last.values("created_at")[:1]),
    ).order_by("name")
    return [
        SourceRow(
            source=s,
            backend_label=backend_label(s.backend),
            last_job_id=s.last_job_id,
            last_job_status=status_label(s.last_job_status) if s.last_job_id else "",
            last_job_dry_run=bool(s.last_job_dry_run),
            last_job_created_at=s.last_job_created_at,
        )
        for s in sources
    ]


def recent_jobs(limit: int = RECENT_JOBS) -> QuerySet[HarvestJob]:
    return HarvestJob.objects.select_related("source", "started_by").order_by("-created_at", "-id")[
        :limit
    ]


def status_label(status: str | None) -> str:
    return str(dict(HarvestJob.Status.choices).get(status or "", status or "—"))


def is_finished(job: HarvestJob) -> bool:
    return job.status not in UNFINISHED


def job_progress(job: HarvestJob) -> dict[str, Any]:
    """Rows read so far (saved with each batch while the job runs), and when."""
    if job.status == HarvestJob.Status.PENDING:
        return {"rows": 0, "updated_at": None, "worker_active": worker_active()}
    if job.status == HarvestJob.Status.RUNNING:
        when = job.progress_at or job.started_at
        return {"rows": job.rows, "updated_at": when.isoformat() if when else None}
    return {
        "rows": job.rows,
        "updated_at": job.finished_at.isoformat() if job.finished_at else None,
    }


@dataclass
class Count:
    code: str
    label: str
    count: int


def outcome_counts(job: HarvestJob) -> list[Count]:
    return [Count(o.value, str(o.label), int(job.outcomes.get(o.value, 0))) for o in Outcome]


def category_counts(job: HarvestJob) -> list[Count]:
    labels = {c.code: c.label for c in Category.objects.filter(code__in=list(job.categories))}
    labels[UNCLASSIFIED] = _("à classer")
    rows = [Count(code, labels.get(code, code), int(n)) for code, n in job.categories.items()]
    return sorted(rows, key=lambda row: (-row.count, row.code))


def reason_counts(job: HarvestJob) -> list[Count]:
    return [Count(kind, kind, int(n)) for kind, n in job.reasons.items()]


def mapping_json(job: HarvestJob) -> str:
    return json.dumps(job.mapping or {}, indent=2, ensure_ascii=False, sort_keys=False)


def job_items(job: HarvestJob, outcome: str = "") -> JobItems:
    return JobItems(job, outcome)


def _field_label(name: str) -> str:
    try:
        model_field = Initiative._meta.get_field(name.removesuffix("_id"))
    except FieldDoesNotExist:
        return name
    return str(getattr(model_field, "verbose_name", name))


def _shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@dataclass
class Change:
    field: str
    before: str
    after: str


@dataclass
class DisplayedItem:
    """A report row as the job page shows it: its outcome in words, its changes."""

    item: HarvestItem
    outcome_label: str
    changes: list[Change] = field(default_factory=list)
    is_new: bool = False


def _changes(item: HarvestItem) -> tuple[list[Change], bool]:
    diff = item.diff or {}
    if set(diff) == {"new"} and isinstance(diff["new"], dict):
        values = diff["new"]
        return [
            Change(_field_label(name), "—", _shown(value))
            for name, value in values.items()
            if name not in HIDDEN_NEW_FIELDS and _shown(value) != "—"
        ], True
    return [
        Change(_field_label(name), _shown(pair[0]), _shown(pair[1]))
        for name, pair in diff.items()
        if isinstance(pair, list) and len(pair) == 2
    ], False


def item_rows(items: Iterable[HarvestItem]) -> list[DisplayedItem]:
    labels = dict(Outcome.choices)
    rows = []
    for item in items:
        changes, is_new = _changes(item)
        rows.append(
            DisplayedItem(item, str(labels.get(item.outcome, item.outcome)), changes, is_new)
        )
    return rows


def job_json(job: HarvestJob) -> dict[str, Any]:
    """The JSON twin of the job page: the CLI's summary, plus progress and the mapping."""
    return {
        **job_summary(job),
        "finished": is_finished(job),
        "progress": job_progress(job),
        "mapping": job.mapping,
    }


def log_tail(job: HarvestJob, max_chars: int = 4000) -> str:
    """The end of the traceback of the job's last failed run in the worker, if any."""
    if job.status != HarvestJob.Status.FAILED:
        return ""
    failed = (
        DBTaskResult.objects.filter(
            task_path=run_harvest_job.module_path,
            status=TaskResultStatus.FAILED,
            args_kwargs__args__0=job.pk,
        )
        .order_by("-finished_at")
        .values_list("traceback", flat=True)
        .first()
    )
    return (failed or "")[-max_chars:]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def rejected_rows(job: HarvestJob) -> Iterator[list[Any]]:
    """Header then rows: the rejected rows with their original columns (in the order first
    met) and the reason in a last `motif` column, ready to fix and import again."""
    rejected = HarvestItem.objects.filter(job=job, outcome=Outcome.REJECTED).order_by("row_number")
    columns: dict[str, None] = dict.fromkeys(job.columns or [])
    for raw in rejected.values_list("raw", flat=True).iterator(chunk_size=2000):
        for key in raw or {}:
            columns.setdefault(str(key), None)
    header = list(columns)
    reason_column = REJECTED_REASON_COLUMN
    while reason_column in columns:
        reason_column = f"_{reason_column}"
    yield [*header, reason_column]
    for raw, reasons in rejected.values_list("raw", "reasons").iterator(chunk_size=2000):
        raw = raw or {}
        yield [*(_cell(raw.get(name)) for name in header), " | ".join(reasons)]
