"""What a source inventories, and where: its coverage.

A count of 0 means « none here » only where a source looked. Each source therefore says which
categories it inventories and over which territories (`Source.coverage_categories`,
`Source.coverage_area`); the indicators mark a category of a territory that no source covers
« non couvert » instead of 0.

A source that never said is given a proposal at its first real import, from what was read:
the categories holding a fair share of its records, and the smallest territory holding
nearly all of them. The proposal is saved with `coverage_proposed`, and the job's notes say
it, for a person to confirm or correct in the administration.
"""

import datetime
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, QuerySet
from django.utils.translation import gettext as _

from maillage.catalog.models import Category, Family
from maillage.territories.models import Territory

from .models import Source, SourceRecord

# A category is proposed when it holds this share of the source's records, and this many at
# least: a few misclassified rows must not make a source claim a whole category.
CATEGORY_SHARE = 0.02
CATEGORY_MINIMUM = 3
# The proposed territory is the smallest one holding this share of the placed records.
AREA_SHARE = 0.95

# (category code, commune id) → number of records; "" where there is none.
PlaceCounts = Counter[tuple[str, str]]


@dataclass
class Proposal:
    categories: list[str] = field(default_factory=list)
    area: list[str] = field(default_factory=list)


def propose_categories(counts: Counter[str], forced: str = "") -> list[str]:
    """The categories of a source's records worth claiming, from their counts (code → n)."""
    if forced:
        return [forced]
    total = sum(counts.values())
    return sorted(
        code
        for code, n in counts.items()
        if code and n >= CATEGORY_MINIMUM and n >= CATEGORY_SHARE * total
    )


def propose_area(counts_by_level: Iterable[Counter[str]]) -> list[str]:
    """The smallest territory holding AREA_SHARE of the placed records, from their counts per
    territory at each level (smallest level first); France when none does."""
    for counts in counts_by_level:
        total = sum(counts.values())
        if not total:
            return []
        territory, n = counts.most_common(1)[0]
        if territory and n >= AREA_SHARE * total:
            return [territory]
    return ["fr"]


def propose(source: Source, counts: PlaceCounts | None = None) -> Proposal:
    """A coverage read from the source's live records, or from `counts` when the job has
    them (a first import counts what it creates: no need to read it back)."""
    if counts is None:
        records = SourceRecord.objects.filter(source=source, archived_at__isnull=True)
        counts = Counter(
            {
                (category or "", commune or ""): n
                for category, commune, n in records.values_list(
                    "initiative__category_id", "initiative__commune_id"
                )
                .annotate(n=Count("id"))
                .order_by()
            }
        )
    return propose_from_counts(counts, Territory.objects, source.default_category)


def propose_from(initiatives: QuerySet, forced: str = "") -> Proposal:
    """A coverage read from these initiatives (the data migration gives its historical
    models' queryset)."""
    rows = initiatives.values_list("category_id", "commune_id").annotate(n=Count("id")).order_by()
    counts = Counter({(c or "", m or ""): n for c, m, n in rows})
    territories = initiatives.model._meta.get_field("commune").related_model._default_manager
    return propose_from_counts(counts, territories, forced)


def propose_from_counts(counts: PlaceCounts, territories: Any, forced: str = "") -> Proposal:
    """The proposal from records counted by (category, commune); `territories`: the manager
    of the territories, to roll communes up to their EPCI, département and région."""
    categories: Counter[str] = Counter()
    communes: Counter[str] = Counter()
    for (category, commune), n in counts.items():
        categories[category] += n
        if commune:
            communes[commune] += n
    levels: list[Counter[str]] = [communes, Counter(), Counter(), Counter()]
    if communes:
        # Every commune's parents in one query: cheaper than naming thousands in a filter.
        parents = territories.filter(level="com").values_list(
            "pk", "epci_id", "departement_id", "region_id"
        )
        for commune, *above in parents:
            if found := communes.get(commune):
                for level, territory in zip(levels[1:], above, strict=True):
                    level[territory or ""] += found
    return Proposal(propose_categories(categories, forced), propose_area(levels))


def describe(categories: list[str], area: list[str]) -> str:
    return _("catégories %(categories)s ; territoire %(area)s") % {
        "categories": ", ".join(categories) or "—",
        "area": ", ".join(area) or "—",
    }


def propose_vintage(source: Source, today: datetime.date) -> datetime.date | None:
    """The latest date the source itself gives its records (their « last updated »), when it
    gives any: what its data describe. None when every record only has its import day."""
    records = SourceRecord.objects.filter(
        source=source, archived_at__isnull=True, verified_on__lt=today
    )
    return records.aggregate(latest=Max("verified_on"))["latest"]


def propose_if_unset(
    source: Source, today: datetime.date, first: bool = False, counts: PlaceCounts | None = None
) -> list[str]:
    """Save a proposed coverage (and, on a `first` import, data vintage) on a source that has
    none; the notes to add to its job. `counts`: the records a first import created."""
    notes = []
    if first and source.data_vintage is None and (found := propose_vintage(source, today)):
        source.data_vintage = found
        source.save(update_fields=["data_vintage"])
        notes.append(
            _(
                "millésime des données proposé : %(date)s, la date de mise à jour la plus "
                "récente que donne la source ; corrigez-le dans l'administration au besoin"
            )
            % {"date": found.isoformat()}
        )
    if source.coverage_categories or source.coverage_area:
        return notes
    if source.moderation == Source.Moderation.REVIEW:  # candidates, not an inventory
        return notes
    proposal = propose(source, counts)
    if not proposal.categories and not proposal.area:
        return notes
    source.coverage_categories, source.coverage_area = proposal.categories, proposal.area
    source.coverage_proposed = True
    source.save(update_fields=["coverage_categories", "coverage_area", "coverage_proposed"])
    return notes + [
        _(
            "couverture proposée d'après les fiches lues (%(coverage)s) : une catégorie d'un "
            "territoire que nulle source ne couvre est dite « non couverte », pas 0 ; "
            "confirmez-la ou corrigez-la dans l'administration des sources"
        )
        % {"coverage": describe(proposal.categories, proposal.area)}
    ]


def licence_note(source: Source) -> list[str]:
    """What a run says of a source without a licence: figures drawn from it cannot say
    under which terms they may be reused."""
    if source.licence.strip():
        return []
    return [
        _(
            "licence de la source non renseignée : indiquez-la (--licence, ou le formulaire "
            "de la source), elle accompagne chaque chiffre tiré de ces données"
        )
    ]


def parse_list(text: str) -> list[str]:
    """« a, b ,c » → ["a", "b", "c"] (the CLI's comma-separated lists)."""
    return [part.strip() for part in text.split(",") if part.strip()]


def problems(categories: list[str], area: list[str]) -> list[str]:
    """What is wrong with a declared coverage, in French (nothing: it holds)."""
    found = []
    known = set(Category.objects.filter(retired=False).values_list("code", flat=True))
    known |= set(Family.objects.values_list("code", flat=True))
    unknown = [code for code in categories if code not in known]
    if unknown:
        found.append(
            _("catégorie ou famille inconnue : %(codes)s (voir /typologie/)")
            % {"codes": ", ".join(unknown)}
        )
    present = set(Territory.objects.filter(id__in=area).values_list("id", flat=True))
    missing = [tid for tid in area if tid not in present]
    if missing:
        found.append(
            _(
                "territoire inconnu : %(ids)s (formes attendues : fr, reg:53, dep:35, epci:<SIREN>, com:<INSEE>)"
            )
            % {"ids": ", ".join(missing)}
        )
    return found
