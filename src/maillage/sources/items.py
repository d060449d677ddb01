"""A job's row-by-row report read back as HarvestItems, in file order, whether each row was
stored on its own or within a block of unchanged rows (UnchangedRows)."""

import heapq
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

from django.db.models import Sum

from .models import HarvestItem, HarvestJob, Outcome, UnchangedRows


def _expand(block: UnchangedRows, job: HarvestJob) -> Iterator[HarvestItem]:
    for number, remote_id, initiative_id, category in block.rows:
        yield HarvestItem(
            job=job,
            row_number=number,
            remote_id=remote_id,
            raw={},
            outcome=Outcome.UNCHANGED,
            reasons=[],
            conflicts=[],
            diff={},
            initiative_id=initiative_id,
            category=category,
        )


def _expanded(blocks: Iterable[UnchangedRows], job: HarvestJob) -> Iterator[HarvestItem]:
    for block in blocks:
        yield from _expand(block, job)


def all_items(job: HarvestJob) -> Iterator[HarvestItem]:
    """Every row of the job in file order (archived records, numbered 0, first)."""
    items = HarvestItem.objects.filter(job=job).order_by("row_number", "id").iterator(5000)
    blocks = UnchangedRows.objects.filter(job=job).order_by("first_row").iterator(50)
    return heapq.merge(items, _expanded(blocks, job), key=lambda i: i.row_number)


class JobItems(Sequence[HarvestItem]):
    """The rows of a job with an outcome (or all), as a sequence the Paginator can slice
    without loading a million rows: blocks are skipped by their counts.

    With no outcome, rows are in file order; file rows are numbered 1…n without gaps, each
    stored either alone or in a block, so a page is a range of row numbers."""

    def __init__(self, job: HarvestJob, outcome: str = "") -> None:
        self.job, self.outcome = job, outcome
        items = HarvestItem.objects.filter(job=job).order_by("row_number", "id")
        self.items = items.filter(outcome=outcome) if outcome else items
        with_blocks = outcome in ("", Outcome.UNCHANGED)
        self.blocks = UnchangedRows.objects.filter(job=job) if with_blocks else None
        self._len: int | None = None

    def __len__(self) -> int:
        if self._len is None:
            in_blocks = 0
            if self.blocks is not None:
                in_blocks = self.blocks.aggregate(n=Sum("count"))["n"] or 0
            self._len = self.items.count() + in_blocks
        return self._len

    @overload
    def __getitem__(self, index: int) -> HarvestItem: ...
    @overload
    def __getitem__(self, index: slice) -> list[HarvestItem]: ...
    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, int):
            return self[index : index + 1][0]
        start, stop, _step = index.indices(len(self))
        if stop <= start:
            return []
        if self.blocks is None:
            return list(self.items[start:stop])
        if not self.outcome:
            return self._file_range(start, stop)
        return self._items_then_blocks(start, stop)

    def _file_range(self, start: int, stop: int) -> list[HarvestItem]:
        archived = self.items.filter(row_number=0)
        n0 = archived.count()
        rows = list(archived[start:stop]) if start < n0 else []
        low, high = max(start - n0, 0) + 1, stop - n0
        if high >= low:
            alone = self.items.filter(row_number__gte=low, row_number__lte=high)
            assert self.blocks is not None
            blocks = self.blocks.filter(first_row__lte=high, last_row__gte=low).order_by(
                "first_row"
            )
            grouped = [i for i in _expanded(blocks, self.job) if low <= i.row_number <= high]
            rows += sorted([*alone, *grouped], key=lambda i: i.row_number)
        return rows

    def _items_then_blocks(self, start: int, stop: int) -> list[HarvestItem]:
        """Rows stored alone first, then the blocks' rows (both in file order)."""
        alone = self.items.count()
        rows = list(self.items[start:stop]) if start < alone else []
        skip, wanted = max(start - alone, 0), stop - max(start, alone)
        assert self.blocks is not None
        counts = self.blocks.order_by("first_row").values_list("id", "count")
        for pk, count in counts:
            if wanted <= 0:
                break
            if skip >= count:
                skip -= count
                continue
            block = UnchangedRows.objects.get(pk=pk)
            taken = list(_expand(block, self.job))[skip : skip + wanted]
            rows += taken
            wanted -= len(taken)
            skip = 0
        return rows
