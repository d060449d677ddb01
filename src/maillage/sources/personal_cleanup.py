"""Clean the raw rows stored before personal data was removed from them (issue 13, point 8):
each stored row is read again by its job's backend and mapping, and the cells the importer
now drops as personal data are replaced by REDACTED. Used by a data migration."""

from typing import Any

from django.db.models import QuerySet

from .backends import BackendOptions, get_backend
from .errors import RowRejected
from .personal import CellPath, redact, redact_unparsed
from .quality import drop_personal_data
from .records import RawRow

BATCH = 2000


def _kept(mapping: dict[str, Any]) -> set[str]:
    keep = mapping.get("keep_personal_data") if isinstance(mapping, dict) else None
    fields = keep.get("fields") if isinstance(keep, dict) else None
    return {str(f) for f in fields} if isinstance(fields, list) else set()


def _cleaned(backend: Any, raw: dict[str, Any], keep: set[str]) -> dict[str, Any] | None:
    """The row redacted as an import would store it today; None when nothing changes."""
    try:
        candidate = backend.parse(RawRow(0, None, raw))
    except Exception:  # a row rejected at parsing: its cells are read as they are
        candidate = None
    cells: dict[str, list[CellPath]] = backend.personal_cells()
    if not cells:
        return None
    if candidate is None:
        redacted = redact_unparsed(raw, cells, keep, organisation=False)
    else:
        columns = {name: ", ".join(p[-1] for p in paths) for name, paths in cells.items()}
        verdict = drop_personal_data(candidate, keep, columns)
        paths = [p for name in verdict.dropped for p in cells.get(name, ())]
        redacted = redact(raw, paths) if paths else None
    return redacted if redacted is not None and redacted != raw else None


def redact_stored_rows(items: QuerySet[Any]) -> int:
    """Redact the stored raw rows of `items` (HarvestItems, current or historical model);
    returns how many rows changed. Jobs whose backend reads no contact field are skipped
    whole; rows without cells ({}: unchanged rows, capped rejected ones) are not read."""
    changed = 0
    jobs = (
        items.order_by()  # the default ordering (row numbers) would make every row distinct
        .values_list("job_id", "job__source__backend", "job__mapping")
        .distinct()
    )
    for job_id, backend_name, mapping in jobs:
        try:
            backend = get_backend(backend_name, BackendOptions(mapping=mapping or {}))
        except KeyError:
            continue
        keep = _kept(mapping or {})
        # Ids first, then batches by id: SQLite may show a row updated during a scan again.
        ids = list(items.filter(job_id=job_id).exclude(raw={}).values_list("pk", flat=True))
        for start in range(0, len(ids), BATCH):
            batch = list(items.model.objects.filter(pk__in=ids[start : start + BATCH]))
            touched = []
            for item in batch:
                if not isinstance(item.raw, dict):
                    continue
                try:
                    cleaned = _cleaned(backend, item.raw, keep)
                except RowRejected:
                    continue
                if cleaned is not None:
                    item.raw = cleaned
                    touched.append(item)
            items.model.objects.bulk_update(touched, ["raw"])
            changed += len(touched)
            if not backend.personal_cells():  # a format or mapping without contact fields
                break
    return changed
