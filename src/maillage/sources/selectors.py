"""Reads of imports: job summaries and row-by-row reports."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from maillage.core.spreadsheets import SafeWriter

from .items import all_items
from .models import HarvestJob

SUCCEEDED = (HarvestJob.Status.DONE, HarvestJob.Status.DONE_WITH_ERRORS)
REPORT_COLUMNS = [
    "row",
    "remote_id",
    "outcome",
    "reasons",
    "commune_id",
    "category",
    "category_rule",
    "initiative_id",
    "conflicts",
]


def job_summary(job: HarvestJob) -> dict[str, Any]:
    seconds = None
    if job.started_at and job.finished_at:
        seconds = round((job.finished_at - job.started_at).total_seconds(), 2)
    return {
        "job": job.pk,
        "source": job.source.name,
        "status": job.status,
        "dry_run": job.dry_run,
        "file": job.file_name,
        "rows": job.rows,
        "outcomes": job.outcomes,
        "categories": job.categories,
        "reasons": job.reasons,
        "file_notes": job.notes,
        "seconds": seconds,
        "error": job.error or None,
        **({"footprints": job.figures} if job.figures else {}),
    }


def report_rows(job: HarvestJob) -> Iterator[list[Any]]:
    for item in all_items(job):
        conflicts = "; ".join(
            f"{c['field']} : gardé « {c['kept']} », source « {c['source']} »"
            for c in item.conflicts
        )
        yield [
            item.row_number or "",
            item.remote_id,
            item.outcome,
            " | ".join(item.reasons),
            item.commune_id,
            item.category,
            item.category_rule,
            item.initiative_id or "",
            conflicts,
        ]


def write_report(job: HarvestJob, path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = SafeWriter(handle)
        writer.writerow(REPORT_COLUMNS)
        for row in report_rows(job):
            writer.writerow(row)
            count += 1
    return count


def public_sources() -> list[dict[str, Any]]:
    """Every source with its licence, attribution and what it currently brings. A source
    appears once an import of it has succeeded for real: a failed import or a dry run leaves
    no public trace."""
    from django.db.models import Count, Max, Q

    from .models import Source

    imported = HarvestJob.objects.filter(dry_run=False, status__in=SUCCEEDED)
    rows = (
        Source.objects.filter(pk__in=imported.values("source_id"))
        .annotate(
            # distinct: the jobs joined for `last_import` would multiply the records
            active=Count("records", filter=Q(records__archived_at__isnull=True), distinct=True),
            last_import=Max(
                "jobs__finished_at",
                filter=Q(jobs__dry_run=False, jobs__status__in=SUCCEEDED),
            ),
        )
        .order_by("label", "name")
    )
    return [
        {
            "name": s.name,
            "label": s.label or s.name,
            "licence": s.licence,
            "attribution": s.attribution,
            "records": s.active,
            "last_import": s.last_import.isoformat() if s.last_import else None,
            "coverage": {
                "categories": s.coverage_categories,
                "area": s.coverage_area,
                "proposed": s.coverage_proposed,
            },
            "vintage": s.data_vintage.isoformat() if s.data_vintage else None,
        }
        for s in rows
    ]
