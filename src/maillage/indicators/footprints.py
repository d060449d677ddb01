"""The platforms' footprint of a territory, as the portrait, `maillage indicators` and the API
show it (`footprints`), read from `catalog.PlatformFootprint` on every request (imports
change it without a recompute).

- One group per platform and date: figures of different platforms are never added up (the
  same home may be offered on several, and a carpool trip is not a night).
- A figure given for the territory itself (`scope: territory`) wins. Otherwise, for an EPCI,
  a département, a région or France, the counts of its communes that have figures are added
  up (`scope: communes`), and the group says how many of its communes that covers
  (`communes_with_data` of `communes_total`): a sum over part of a territory is only that.
  Measures that cannot be added (a share, a price, a measure Maillage does not know) are
  never summed.
- Shares and « per 1,000 inhabitants » are derived from the counts of the same group (the
  population is that of the communes covered), never averaged.
- Inside Paris, Lyon and Marseille the figures are also given by municipal arrondissement
  (`breakdown`).
- Each figure is compared with the peers' where they have one for the same platform and
  measure, at the closest date within a year (each peer's date is given); a sum over part
  of a territory is compared only when both sides cover all their communes.
"""

import datetime
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F

from maillage.catalog import footprint_metrics as m
from maillage.catalog.models import Category, PlatformFootprint
from maillage.territories.models import Level, Territory, TerritoryAlias

from .models import TerritoryFigures

PEER_DAYS = 366  # a peer's figure at most a year away from this one's date
TERRITORY, COMMUNES = "territory", "communes"
_PARENT: dict[str, str] = {
    Level.EPCI: "territory__epci_id",
    Level.DEPARTEMENT: "territory__departement_id",
    Level.REGION: "territory__region_id",
}
_COLUMNS = (
    "territory_id", "platform", "category_id", "metric", "date", "value", "unit", "source_name",
    "source_licence", "source_url", "breakdown", "notes",
)  # fmt: skip


@dataclass
class Group:
    platform: str
    date: datetime.date
    scope: str
    category: str | None = None
    values: dict[str, float] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    breakdown: dict[str, dict[str, float]] = field(default_factory=dict)  # metric → part → v
    sources: dict[tuple[str, str, str], None] = field(default_factory=dict)
    notes: dict[str, None] = field(default_factory=dict)
    population: int | None = None
    communes: set[str] = field(default_factory=set)
    communes_total: int | None = None

    @property
    def complete(self) -> bool:
        return self.scope == TERRITORY or len(self.communes) == self.communes_total

    def value(self, metric: str) -> float | None:
        if metric in self.values:
            return self.values[metric]
        derived = m.DERIVED.get(metric)
        if derived is None:
            return None
        return _ratio(self.values, self.population, derived)


def _ratio(values: dict[str, float], population: int | None, d: m.Derived) -> float | None:
    top = values.get(d.numerator)
    bottom = population if d.denominator == m.POPULATION else values.get(d.denominator)
    if top is None or not bottom:
        return None
    return round(top * d.scale / bottom, 4)


def _add(group: Group, row: dict[str, Any]) -> None:
    group.category = group.category or row["category_id"]
    group.sources[(row["source_name"], row["source_licence"], row["source_url"])] = None
    if row["notes"]:
        group.notes[row["notes"]] = None


def _direct(territory_ids: list[str], populations: dict[str, int | None]) -> dict[str, list[Group]]:
    groups: dict[str, dict[tuple[str, datetime.date], Group]] = defaultdict(dict)
    rows = PlatformFootprint.objects.filter(territory_id__in=territory_ids).values(*_COLUMNS)
    for row in rows:
        tid = row["territory_id"]
        key = (row["platform"], row["date"])
        group = groups[tid].get(key)
        if group is None:
            group = groups[tid][key] = Group(
                row["platform"], row["date"], TERRITORY, population=populations.get(tid)
            )
        _add(group, row)
        group.values[row["metric"]] = row["value"]
        group.units[row["metric"]] = row["unit"]
        if row["breakdown"]:
            group.breakdown[row["metric"]] = row["breakdown"]
    return {tid: list(found.values()) for tid, found in groups.items()}


def _summed(level: str, territory_ids: list[str]) -> dict[str, list[Group]]:
    """The counts of the communes of each territory, added up per platform and date."""
    if level not in _PARENT and level != Level.COUNTRY:
        return {}
    parent = _PARENT.get(level)  # None for France: every commune
    additive = [code for code, metric in m.METRICS.items() if metric.additive]
    rows = PlatformFootprint.objects.filter(territory__level=Level.COMMUNE, metric__in=additive)
    if parent is not None:
        rows = rows.filter(**{f"{parent}__in": territory_ids})
    values = list(
        rows.values(*_COLUMNS, "territory__population", parent=F(parent or "territory_id"))
    )
    if not values:  # most territories: no query on their communes
        return {}
    communes = Territory.objects.filter(level=Level.COMMUNE)
    if parent is not None:
        field_name = parent.removeprefix("territory__")
        totals = dict(
            communes.filter(**{f"{field_name}__in": territory_ids})
            .order_by()
            .values(field_name)
            .annotate(n=Count("id"))
            .values_list(field_name, "n")
        )
    else:
        totals = {"fr": communes.count()}
    groups: dict[str, dict[tuple[str, datetime.date], Group]] = defaultdict(dict)
    for row in values:
        tid = row["parent"] if parent else "fr"
        key = (row["platform"], row["date"])
        group = groups[tid].get(key)
        if group is None:
            group = groups[tid][key] = Group(
                row["platform"], row["date"], COMMUNES, population=0,
                communes_total=totals.get(tid),
            )  # fmt: skip
        _add(group, row)
        group.values[row["metric"]] = group.values.get(row["metric"], 0) + row["value"]
        group.units[row["metric"]] = row["unit"]
        if row["territory_id"] not in group.communes:
            group.communes.add(row["territory_id"])
            group.population = (group.population or 0) + (row["territory__population"] or 0)
    return {tid: list(found.values()) for tid, found in groups.items()}


def load(level: str, territory_ids: list[str]) -> dict[str, list[Group]]:
    """The footprint groups of territories of one level: their own figures, then the sums
    of their communes' for the platforms and measures they have none of."""
    populations = dict(
        Territory.objects.filter(id__in=territory_ids).values_list("id", "population")
    )
    direct = _direct(territory_ids, populations)
    summed = _summed(level, territory_ids)
    result: dict[str, list[Group]] = {}
    for tid in territory_ids:
        own = direct.get(tid, [])
        given = {(g.platform, g.date, metric) for g in own for metric in g.values}
        groups = list(own)
        for group in summed.get(tid, []):
            group.values = {
                k: v
                for k, v in group.values.items()
                if (group.platform, group.date, k) not in given
            }
            if group.values:
                groups.append(group)
        groups.sort(key=lambda g: (g.platform.lower(), -g.date.toordinal(), g.scope != TERRITORY))
        if groups:
            result[tid] = groups
    return result


def _percentile(value: float, others: list[float]) -> float:
    below = sum(1 for v in others if v < value)
    equal = sum(1 for v in others if v == value)
    return round(100.0 * (below + 0.5 * equal) / len(others), 1)


def _peer_value(
    group: Group, metric: str, theirs: list[Group]
) -> tuple[float, datetime.date] | None:
    """The peer's value of the same platform and measure at the closest date (a year at
    most), from a group of the same kind (its own figure, or a complete sum)."""
    best: tuple[int, float, datetime.date] | None = None
    for other in theirs:
        if other.platform != group.platform or other.scope != group.scope or not other.complete:
            continue
        value = other.value(metric)
        gap = abs((other.date - group.date).days)
        if value is None or gap > PEER_DAYS:
            continue
        if best is None or gap < best[0]:
            best = (gap, value, other.date)
    return None if best is None else (best[1], best[2])


def _compared(
    group: Group,
    metric: str,
    value: float,
    peers: list[tuple[str, str, list[Group]]],
) -> dict[str, Any] | None:
    if not group.complete or not peers:
        return None
    members: list[dict[str, Any]] = []
    others: list[float] = []
    for peer_id, name, theirs in peers:
        found = _peer_value(group, metric, theirs)
        if found is not None:
            others.append(found[0])
            members.append(
                {"id": peer_id, "name": name, "value": found[0], "date": found[1].isoformat()}
            )
    if not members:
        return None
    median = statistics.median(others)
    return {
        "peers_with_data": len(members),
        "peers": len(peers),
        "median": round(median, 4),
        "percentile": _percentile(value, others),
        "ratio": round(value / median, 3) if median else None,
        "members": members,
    }


def _label(metric: str) -> str:
    known = m.METRICS.get(metric) or m.DERIVED.get(metric)
    return str(known.label) if known else metric


def _short(metric: str) -> str:
    known = m.METRICS.get(metric) or m.DERIVED.get(metric)
    return str(known.short or known.label) if known else metric


def _format(metric: str) -> str:
    derived = m.DERIVED.get(metric)
    if derived is None:
        return "count" if metric in m.METRICS else "number"
    return "share" if derived.scale == 1 else "rate"


def _unit(metric: str, stored: str) -> str:
    known = m.METRICS.get(metric) or m.DERIVED.get(metric)
    return str(known.unit) if known else stored


def _figures(group: Group, peers: list[tuple[str, str, list[Group]]]) -> list[dict[str, Any]]:
    metrics = [*group.values, *(d for d in m.DERIVED if group.value(d) is not None)]
    figures = []
    for metric in sorted(metrics, key=m.rank):
        value = group.value(metric)
        assert value is not None
        figures.append(
            {
                "metric": metric,
                "label": _label(metric),
                "value": value,
                "unit": _unit(metric, group.units.get(metric, "")),
                "format": _format(metric),
                "derived": metric in m.DERIVED,
                "peers": _compared(group, metric, value, peers),
            }
        )
    return figures


def _breakdown(group: Group, parts: dict[str, tuple[str, int | None]]) -> list[dict[str, Any]]:
    """Per arrondissement: each stored measure and the shares derived from them."""
    codes = sorted({code for values in group.breakdown.values() for code in values})
    rows = []
    for code in codes:
        name, population = parts.get(code, (code, None))
        values = {
            metric: group.breakdown[metric][code]
            for metric in group.breakdown
            if code in group.breakdown[metric]
        }
        part = Group(group.platform, group.date, TERRITORY, values=values, population=population)
        figures = {
            metric: part.value(metric)
            for metric in sorted([*values, *m.DERIVED], key=m.rank)
            if part.value(metric) is not None
        }
        rows.append(
            {
                "code": code,
                "id": f"com:{code}",
                "name": name,
                "population": population,
                "figures": figures,
            }
        )
    return rows


def _kind_labels(groups: list[Group]) -> dict[str, str]:
    codes = {g.category for g in groups if g.category}
    return {c.code: c.label for c in Category.objects.filter(code__in=codes)}


def as_json(groups: list[Group], peers: list[tuple[str, str, list[Group]]]) -> list[dict[str, Any]]:
    kinds = _kind_labels(groups)
    part_codes = {code for g in groups for values in g.breakdown.values() for code in values}
    parts = {
        code: (name, population)
        for code, name, population in TerritoryAlias.objects.filter(
            code__in=part_codes
        ).values_list("code", "name", "population")
    }
    result = []
    for group in groups:
        breakdown = _breakdown(group, parts) if group.breakdown else []
        columns = sorted({metric for row in breakdown for metric in row["figures"]}, key=m.rank)
        unplaced = {
            metric: group.values[metric] - sum(values.values())
            for metric, values in group.breakdown.items()
            if metric in group.values and group.values[metric] - sum(values.values())
        }
        result.append(
            {
                "platform": group.platform,
                "kind": group.category,
                "kind_label": kinds.get(group.category or "", None),
                "date": group.date.isoformat(),
                "scope": group.scope,
                "communes_with_data": len(group.communes) if group.scope == COMMUNES else None,
                "communes_total": group.communes_total,
                "population": group.population,
                "sources": [
                    {"name": name, "licence": licence or None, "url": url or None}
                    for name, licence, url in group.sources
                ],
                "notes": list(group.notes),
                "figures": _figures(group, peers),
                "breakdown_columns": [
                    {"metric": c, "label": _short(c), "format": _format(c)} for c in columns
                ],
                "breakdown": breakdown,
                # Counted in the commune, in none of its arrondissements (a point outside
                # their outlines): the arrondissements' sum is then smaller.
                "breakdown_unplaced": unplaced,
            }
        )
    return result


def footprints(territory_id: str, peer_ids: list[str]) -> list[dict[str, Any]]:
    """The `footprints` of a territory's indicators (see the module's docstring)."""
    level = Territory.objects.filter(id=territory_id).values_list("level", flat=True).first()
    if level is None:
        return []
    own = load(level, [territory_id]).get(territory_id, [])
    if not own:
        return []
    names = dict(Territory.objects.filter(id__in=peer_ids).values_list("id", "name"))
    peer_ids = [p for p in peer_ids if p in names and p != territory_id]
    theirs = load(level, peer_ids) if peer_ids else {}
    peers = [(p, names[p], theirs.get(p, [])) for p in peer_ids]
    return as_json(own, peers)


def stored_peers(territory_id: str) -> list[str]:
    """The territory's peers as the last indicator run chose them ([] before any run)."""
    figures = (
        TerritoryFigures.objects.filter(territory_id=territory_id)
        .values_list("figures", flat=True)
        .first()
    )
    return list((figures or {}).get("peers", []))
