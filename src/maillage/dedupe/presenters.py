"""What the review pages show: the queue, a pair side by side, recent merges."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from maillage.catalog.models import Initiative
from maillage.core.tasks import worker_active

from .models import DedupeRun, DuplicatePair, Merge
from .names import normalize
from .tasks import find_duplicates

PAIRS_PER_PAGE = 50
OPEN = [DuplicatePair.Status.TO_REVIEW, DuplicatePair.Status.LATER, DuplicatePair.Status.UNDONE]
SHOWN_FIELDS = ["name", "category", "status", "address", "postcode", "commune", "lon", "lat",
                "website", "siret", "rna", "osm_id", "network", "created_on", "description"]  # fmt: skip
PART_LABELS = {
    "bias": gettext_lazy("point de départ (la plupart des voisins sont distincts)"),
    "distance": gettext_lazy("distance"),
    "name": gettext_lazy("noms"),
    "address": gettext_lazy("adresses"),
    "commune": gettext_lazy("même commune"),
    "category": gettext_lazy("catégories"),
    "identifiers": gettext_lazy("identifiants (SIRET, RNA, OSM, site, téléphone)"),
    "mutual_best": gettext_lazy("chacune est la plus proche de l'autre (sources différentes)"),
    "unrivalled": gettext_lazy(
        "aucune autre fiche de l'autre source n'est aussi proche, dans la même commune"
    ),
}
# A group decided at once: open pairs of one commune whose two names are the same once
# normalised (the name an import builds, « Boîte à livres — <commune> »), this close.
GROUP_DISTANCE_M = 50
# Distances a person may widen the groups to: boxes of one town are often 50–300 m apart.
GROUP_DISTANCES_M = (50, 100, 200, 300)
GROUP_MINIMUM = 2


def group_distance(asked: str | None) -> int:
    """The group distance asked for (`?distance=`), one of GROUP_DISTANCES_M, else 50 m."""
    return int(asked) if asked in {str(d) for d in GROUP_DISTANCES_M} else GROUP_DISTANCE_M


def queue(status: str = "") -> QuerySet[DuplicatePair]:
    pairs = DuplicatePair.objects.select_related("left", "right")
    wanted = [status] if status in OPEN else OPEN
    # No pair left open once a side is absorbed (merges.py drops them): no join to filter.
    return pairs.filter(status__in=wanted).order_by("-score", "id")


def next_pair(after: DuplicatePair) -> DuplicatePair | None:
    """The next pair of the queue after this one (score order), for a keyboard flow."""
    later = queue().filter(Q(score__lt=after.score) | Q(score=after.score, id__gt=after.pk))
    return later.exclude(pk=after.pk).first() or queue().exclude(pk=after.pk).first()


def get_pair(pair_id: int) -> DuplicatePair:
    return get_object_or_404(DuplicatePair.objects.select_related("left", "right"), pk=pair_id)


@dataclass
class FieldRow:
    label: str
    left: str
    right: str
    same: bool
    name: str = ""  # the initiative field shown


def _shown(initiative: Initiative, name: str) -> str:
    if name == "category":
        return initiative.category.label if initiative.category else _("à classer")
    if name == "commune":
        return str(initiative.commune) if initiative.commune else "—"
    value = getattr(initiative, name)
    if value in (None, ""):
        return "—"
    return str(value)[:400]


def side_by_side(pair: DuplicatePair) -> list[FieldRow]:
    rows = []
    for name in SHOWN_FIELDS:
        label = str(getattr(Initiative._meta.get_field(name), "verbose_name", name))
        left, right = _shown(pair.left, name), _shown(pair.right, name)
        rows.append(FieldRow(label.capitalize(), left, right, left == right, name))
    sources = [
        ", ".join(sorted(i.source_records.values_list("source__name", flat=True))) or "—"
        for i in (pair.left, pair.right)
    ]
    rows.append(FieldRow(_("Sources"), sources[0], sources[1], sources[0] == sources[1]))
    return rows


def score_parts(pair: DuplicatePair) -> list[tuple[str, float]]:
    parts = pair.components.get("parts", {})
    return [(str(PART_LABELS.get(key, key)), value) for key, value in parts.items()]


def pair_json(pair: DuplicatePair) -> dict[str, Any]:
    return {
        "pair": pair.pk,
        "left": pair.left_id,
        "right": pair.right_id,
        "score": pair.score,
        "status": pair.status,
        "components": pair.components,
    }


@dataclass
class Group:
    commune_id: str
    commune: str
    name: str
    key: str  # the normalised name
    pairs: list[DuplicatePair]


def _in_group(pair: DuplicatePair, max_distance: float) -> bool:
    distance = pair.components.get("distance_m")
    return (
        distance is not None
        and distance <= max_distance
        and bool(pair.left.commune_id)
        and pair.left.commune_id == pair.right.commune_id
        and normalize(pair.left.name) == normalize(pair.right.name)
    )


def groups(max_distance: float = GROUP_DISTANCE_M) -> list[Group]:
    """The pairs to review that a person may decide together: same commune, same name once
    normalised, at most `max_distance` metres apart; the largest groups first."""
    found: dict[tuple[str, str], Group] = {}
    pairs = DuplicatePair.objects.filter(status=DuplicatePair.Status.TO_REVIEW).select_related(
        "left", "right", "left__commune"
    )
    for pair in pairs.order_by("-score", "id"):
        if not _in_group(pair, max_distance):
            continue
        key, commune_id = normalize(pair.left.name), pair.left.commune_id or ""
        group = found.get((commune_id, key))
        if group is None:
            commune = str(pair.left.commune) if pair.left.commune else commune_id
            group = Group(commune_id, commune, pair.left.name, key, [])
            found[(commune_id, key)] = group
        group.pairs.append(pair)
    kept = [g for g in found.values() if len(g.pairs) >= GROUP_MINIMUM]
    return sorted(kept, key=lambda g: (-len(g.pairs), g.commune, g.key))


def group_pairs(
    commune_id: str, key: str, ids: list[int], max_distance: float = GROUP_DISTANCE_M
) -> list[DuplicatePair]:
    """The pairs of the group a person saw (their ids) that still belong to it."""
    wanted = set(ids)
    for group in groups(max_distance):
        if (group.commune_id, group.key) == (commune_id, key):
            return [p for p in group.pairs if p.pk in wanted]
    return []


def recent_batches() -> list[dict[str, Any]]:
    """Group decisions, latest first: how many merges, how many still in place."""
    rows = (
        Merge.objects.exclude(batch="")
        .values("batch")
        .annotate(
            merges=Count("id"),
            in_place=Count("id", filter=Q(undone_at__isnull=True)),
            merged_at=Min("merged_at"),
            by=Max("merged_by__username"),
        )
        .order_by("-merged_at")
    )
    return list(rows[:20])


def set_apart_batches() -> list[dict[str, Any]]:
    """Group decisions « pas des doublons », latest first: how many pairs still so marked."""
    rows = (
        DuplicatePair.objects.filter(status=DuplicatePair.Status.NOT_DUPLICATE)
        .exclude(batch="")
        .values("batch")
        .annotate(pairs=Count("id"), decided_at=Max("decided_at"), by=Max("decided_by__username"))
        .order_by("-decided_at")
    )
    return list(rows[:20])


def queue_json(page: Any, status: str, found: list[Group], distance: int) -> dict[str, Any]:
    """The review queue page as data (its `?format=json` twin)."""
    return {
        "status": status or None,
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "pairs": [
            {**pair_json(pair), "left_name": pair.left.name, "right_name": pair.right.name}
            for pair in page.object_list
        ],
        "group_distance_m": distance,
        "groups": [
            {
                "commune": group.commune_id,
                "commune_name": group.commune,
                "name": group.name,
                "key": group.key,
                "pairs": [pair.pk for pair in group.pairs],
            }
            for group in found
        ],
    }


def recent_merges() -> QuerySet[Merge]:
    return Merge.objects.select_related("survivor", "absorbed").order_by("-merged_at", "-id")[:100]


@dataclass
class SearchState:
    """The last duplicate search, and whether another one waits or runs in the worker."""

    last: DedupeRun | None
    queued: bool
    running: bool
    worker_active: bool


def search_state() -> SearchState:
    waiting = set(
        DBTaskResult.objects.filter(
            task_path=find_duplicates.module_path,
            status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
        ).values_list("status", flat=True)
    )
    return SearchState(
        last=DedupeRun.objects.filter(dry_run=False, finished_at__isnull=False).first(),
        queued=TaskResultStatus.READY in waiting,
        running=TaskResultStatus.RUNNING in waiting,
        worker_active=worker_active(),
    )
