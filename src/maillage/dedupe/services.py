"""One dedupe run: find candidate pairs among the live initiatives, remember them, merge the
sure ones, queue the doubtful ones for a person. Decisions already taken stand."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.catalog.history import ensure_baseline
from maillage.catalog.models import Initiative
from maillage.core.fastwrite import refresh_statistics
from maillage.core.spreadsheets import SafeDictWriter
from maillage.sources.models import SourceRecord

from .loading import live_initiative_records
from .matching import AUTO_MERGE, REVIEW, outcome, settle
from .merges import MergeRefused, merge_pair, undo_merge
from .models import DedupeRun, DuplicatePair, Merge
from .scoring import Record, Scored

# Pairs a person (or an undone merge) decided on: never merged automatically again.
DECIDED = {
    DuplicatePair.Status.NOT_DUPLICATE,
    DuplicatePair.Status.MERGED,
    DuplicatePair.Status.UNDONE,
    DuplicatePair.Status.LATER,
}
REPORT_COLUMNS = ["left", "right", "left_name", "right_name", "score", "outcome", "status",
                  "distance_m", "name_similarity", "cross_source", "parts"]  # fmt: skip


@dataclass
class RunResult:
    run: DedupeRun
    rows: list[dict[str, Any]] = field(default_factory=list)


def run_dedupe(
    dry_run: bool = False,
    auto: float = AUTO_MERGE,
    review: float = REVIEW,
    progress: Callable[[str], None] = lambda message: None,
) -> RunResult:
    """One run reaches a fixed point: the sure pairs are merged round after round (in memory
    first, matching.settle), each round scoring again the pairs around the merged initiatives
    on the merged state, until no sure pair is left; the pairs still open then go to review.
    A second run on unchanged data merges nothing and queues nothing new."""
    progress("chargement des initiatives")
    records = live_initiative_records()
    by_id = {r.id: r for r in records}
    progress(f"comparaison de {len(records)} initiatives")
    decided = _decisions()
    settled = settle(records, auto, decided)
    if settled.rounds > 1:
        progress(f"{settled.rounds} tours de fusions jusqu'à l'état stable")
    run = DedupeRun(
        dry_run=dry_run, initiatives=len(records), candidates=settled.candidates,
        auto_threshold=auto, review_threshold=review,
    )  # fmt: skip
    result = RunResult(run)
    for pair in settled.merges:
        result.rows.append(_row(pair, "auto-merge", None, by_id))
        run.cross_source_pairs += pair.components["cross_source"]
    run.auto_merged = len(settled.merges)
    undecided: list[Scored] = list(settled.merges)
    for pair in settled.pairs:
        if pair.score < review:
            break  # best first
        status = decided.get((pair.left, pair.right))
        decision = "decided" if status is not None else outcome(pair.score, auto, review)
        result.rows.append(_row(pair, decision, status, by_id))
        run.cross_source_pairs += pair.components["cross_source"]
        run.to_review += decision == "review"
        if status is None:
            undecided.append(pair)
    if dry_run:
        run.finished_at = timezone.now()
        return result
    with transaction.atomic():
        run.save()
        progress(f"enregistrement de {len(undecided)} paires")
        stored = _store(run, undecided)
        sure = [stored[(p.left, p.right)] for p in settled.merges]
        progress(f"{len(sure)} fusions automatiques")
        ensure_baseline({i for p in sure for i in (p.left_id, p.right_id)})
        for sure_pair in sure:
            try:
                merge_pair(sure_pair, automatic=True, baseline=False)
            except MergeRefused:
                # Archived or merged by someone else since the initiatives were read.
                sure_pair.delete()
                run.auto_merged -= 1
        run.to_review = DuplicatePair.objects.filter(
            found_by=run, status=DuplicatePair.Status.TO_REVIEW
        ).count()
        refresh_statistics(DuplicatePair, Merge, Initiative, SourceRecord)
        run.finished_at = timezone.now()
        run.save()
    return result


def _decisions() -> dict[tuple[int, int], str]:
    return {
        (left, right): status
        for left, right, status in DuplicatePair.objects.filter(status__in=DECIDED).values_list(
            "left_id", "right_id", "status"
        )
    }


def _store(run: DedupeRun, pairs: list[Scored]) -> dict[tuple[int, int], DuplicatePair]:
    """Create or refresh the pairs in a few statements (thousands after a big import)."""
    existing = {
        (p.left_id, p.right_id): p
        for p in DuplicatePair.objects.filter(
            left_id__in={p.left for p in pairs}, right_id__in={p.right for p in pairs}
        )
    }
    fresh: list[DuplicatePair] = []
    refreshed: list[DuplicatePair] = []
    for pair in pairs:
        stored = existing.get((pair.left, pair.right))
        if stored is None:
            fresh.append(
                DuplicatePair(
                    left_id=pair.left,
                    right_id=pair.right,
                    score=pair.score,
                    components=pair.components,
                    found_by=run,
                )  # fmt: skip
            )
        else:
            stored.score, stored.components, stored.found_by = pair.score, pair.components, run
            refreshed.append(stored)
    DuplicatePair.objects.bulk_create(fresh, batch_size=1000)
    DuplicatePair.objects.bulk_update(refreshed, ["score", "components", "found_by"], 1000)
    # bulk_create does not give ids back on every database: read them again.
    return {
        (p.left_id, p.right_id): p
        for p in DuplicatePair.objects.filter(found_by=run).select_related(None)
    }


def _row(
    pair: Scored, decision: str, status: str | None, by_id: dict[int, Record]
) -> dict[str, Any]:
    c = pair.components
    return {
        "left": pair.left, "right": pair.right,
        "left_name": by_id[pair.left].name, "right_name": by_id[pair.right].name,
        "score": pair.score, "outcome": decision, "status": status or "",
        "distance_m": c["distance_m"], "name_similarity": c["name_similarity"],
        "cross_source": c["cross_source"], "parts": c["parts"],
    }  # fmt: skip


def write_report(rows: list[dict[str, Any]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = SafeDictWriter(handle, REPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


DECISIONS = {
    "not-duplicate": DuplicatePair.Status.NOT_DUPLICATE,
    "later": DuplicatePair.Status.LATER,
}
# The pairs waiting for a person (the review queue).
OPEN_STATUSES = [
    DuplicatePair.Status.TO_REVIEW,
    DuplicatePair.Status.LATER,
    DuplicatePair.Status.UNDONE,
]


def decide(pair: DuplicatePair, decision: str, user: Any, survivor_id: int | None = None) -> None:
    """A person's decision on a pair: merge (keeping `survivor_id`'s id), not a duplicate
    (remembered across harvests), or later (stays in the queue)."""
    if decision == "merge":
        if survivor_id not in (None, pair.left_id, pair.right_id):
            raise ValueError(_("La fiche à garder doit être l'une des deux."))
        merge_pair(pair, survivor_id=survivor_id, user=user)
        return
    if decision not in DECISIONS:
        raise ValueError(_("Décision inconnue : %(decision)s") % {"decision": decision})
    pair.status = DECISIONS[decision]
    pair.decided_by = user if getattr(user, "is_authenticated", False) else None
    pair.decided_at = timezone.now()
    pair.save(update_fields=["status", "decided_by", "decided_at"])


@dataclass
class GroupOutcome:
    batch: str
    decided: int = 0  # pairs merged, or set apart
    refused: int = 0  # decided meanwhile, or a side absorbed by an earlier merge of the group


@transaction.atomic
def merge_group(pairs: list[DuplicatePair], user: Any) -> GroupOutcome:
    """A person's decision on a group of pairs at once: each pair is merged (the older
    initiative kept), all in one batch that undo_batch undoes."""
    result = GroupOutcome(batch=uuid.uuid4().hex)
    for pair in sorted(pairs, key=lambda p: (-p.score, p.pk)):
        try:
            with transaction.atomic():
                merge_pair(pair, user=user, batch=result.batch)
        except MergeRefused:
            result.refused += 1
        else:
            result.decided += 1
    return result


@transaction.atomic
def set_group_apart(pairs: list[DuplicatePair], user: Any) -> GroupOutcome:
    """A person's decision that a group of pairs are not duplicates: each pair still open is
    marked so (remembered across harvests), all in one batch that reopen_batch reopens."""
    result = GroupOutcome(batch=uuid.uuid4().hex)
    ids = [pair.pk for pair in pairs]
    result.decided = DuplicatePair.objects.filter(pk__in=ids, status__in=OPEN_STATUSES).update(
        status=DuplicatePair.Status.NOT_DUPLICATE,
        decided_by=user if getattr(user, "is_authenticated", False) else None,
        decided_at=timezone.now(),
        batch=result.batch,
    )
    result.refused = len(ids) - result.decided
    return result


@transaction.atomic
def reopen_batch(batch: str, user: Any) -> int:
    """Undo a group decision « pas des doublons »: its pairs still so marked go back to the
    queue."""
    return DuplicatePair.objects.filter(
        batch=batch, status=DuplicatePair.Status.NOT_DUPLICATE
    ).update(
        status=DuplicatePair.Status.TO_REVIEW,
        decided_by=user if getattr(user, "is_authenticated", False) else None,
        decided_at=timezone.now(),
        batch="",
    )


@transaction.atomic
def undo_batch(batch: str, user: Any) -> int:
    """Undo every merge of a group decision still in place, the latest first."""
    merges = Merge.objects.select_for_update().filter(batch=batch, undone_at__isnull=True)
    undone = 0
    for merge in merges.order_by("-merged_at", "-id"):
        undo_merge(merge, user)
        undone += 1
    return undone
