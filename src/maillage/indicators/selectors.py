"""Reads of the indicators: a territory's stored figures made readable, and compared with its
peers (computed on the fly from the peers' stored figures: at most a few dozen rows)."""

import statistics
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from maillage.catalog.models import Initiative
from maillage.core.errors import MaillageError
from maillage.registers.selectors import emergence as registers_emergence
from maillage.territories.models import Level, Territory

from .compute import FIELDS, Diversity, ScopeFigures
from .footprints import footprints as footprint_groups
from .inputs import covering_sources, load_typology
from .models import CountSnapshot, DataChange, IndicatorRun, TerritoryFigures
from .peers import PEERS_BY_LEVEL

COMPARED = ("count", "per_10k", "commune_share", "reach_share", "created_3y")
GAP_SHARE = 0.6  # a category absent here but present in at least 60 % of the peers
STRENGTH_PERCENTILE = 90.0  # top decile of the peers, per 10,000 inhabitants
MAX_CHOSEN_PEERS = 50


class FiguresNotComputed(MaillageError):
    """No indicator run yet (stable code `figures-not-computed`, 503: come back after the
    computation)."""

    code = "figures-not-computed"
    status = 503
    title = gettext_lazy("Chiffres pas encore calculés")


class InvalidPeers(MaillageError):
    """Chosen peers that are not territories with figures, or of another level than the
    territory compared (stable code `invalid-peers`); `details` lists them."""

    code = "invalid-peers"
    status = 400


@dataclass
class Stored:
    territory: Territory
    figures: dict[str, Any]


def latest_run() -> IndicatorRun | None:
    return IndicatorRun.objects.order_by("-id").first()


def is_stale(run: IndicatorRun | None) -> bool:
    """The inventory changed after these figures were computed."""
    if run is None:
        return True
    change = DataChange.objects.filter(pk=1).values_list("changed_at", flat=True).first()
    return change is not None and change > run.computed_at


def stored(territory_ids: list[str]) -> dict[str, Stored]:
    # The territory's geometry and outline (the largest columns) are never needed here.
    rows = (
        TerritoryFigures.objects.filter(territory_id__in=territory_ids)
        .select_related("territory")
        .defer("territory__geometry", "territory__outline")
    )
    return {r.territory_id: Stored(r.territory, r.figures) for r in rows}


# How far a scope of a territory is covered by the sources (see sources/coverage.py).
FULL, PARTIAL, NONE = "full", "partial", "none"
# Figures that mean nothing where no source looked: a 0 there is not a zero.
UNCOVERED_MEANINGLESS = ("per_10k", "commune_share", "growth_3y")


def coverage_share(figures: dict[str, Any], key: str) -> float:
    """The share of the territory's population where some source inventories the scope;
    figures computed before coverage existed count as covered until recomputed."""
    coverage = figures.get("coverage")
    return 1.0 if coverage is None else float(coverage.get(key, 0.0))


def covered(share: float) -> str:
    return FULL if share >= 1.0 else PARTIAL if share > 0 else NONE


# Two coverage shares this close are the same sources looking (rounding of populations).
SAME_COVERAGE = 0.005


def same_coverage(mine: dict[str, Any], theirs: dict[str, Any]) -> bool:
    return bool(theirs["coverage"]) and abs(theirs["coverage"] - mine["coverage"]) <= SAME_COVERAGE


def scope_figures(figures: dict[str, Any], key: str) -> dict[str, Any]:
    """One scope's figures by name, with its coverage: `coverage` (share, 0–1) and `covered`
    (« full », « partial », « none »). Where no source looked the count is the initiatives
    known anyway (a lower bound, None when there are none) and the shares are None."""
    values = figures["scopes"].get(key)
    scope: dict[str, Any]
    if values is None:
        scope = {name: (None if name == "growth_3y" else 0) for name in FIELDS}
        scope["reach_share"] = figures.get("reach_only", {}).get(key, 0)
    else:
        # Figures computed by an older version may lack the newest fields: zero until then.
        padded = [*values, *[0] * (len(FIELDS) - len(values))]
        scope = ScopeFigures(*padded)._asdict()
    if "coverage" not in figures:  # computed before: its 8th figure counted first imports
        scope["appeared"] = None
    share = coverage_share(figures, key)
    scope["coverage"], scope["covered"] = share, covered(share)
    if scope["covered"] == NONE:
        for name in UNCOVERED_MEANINGLESS:
            scope[name] = None
        if not scope["count"]:
            scope["count"] = None
    return scope


def _percentile(value: float, others: list[float]) -> float | None:
    """Percentile rank among the peers: the share below, ties counted half."""
    if not others:
        return None
    below = sum(1 for v in others if v < value)
    equal = sum(1 for v in others if v == value)
    return round(100.0 * (below + 0.5 * equal) / len(others), 1)


def compare(
    own: dict[str, Any], peers: list[dict[str, Any]], scopes: list[str]
) -> dict[str, dict[str, dict[str, Any]]]:
    """For each scope and compared figure: value, peer median, percentile, ratio to the
    median. A figure without population (shares, per 10,000) is left out. A scope is compared
    only with the peers its sources cover as they cover it here (the same share: a national
    source covers every peer alike, a regional one only its own): a peer whose sources did
    not look is no evidence, and nothing is compared where no source looked."""
    result: dict[str, dict[str, dict[str, Any]]] = {}
    for key in scopes:
        mine = scope_figures(own, key)
        result[key] = {}
        if mine["covered"] == NONE:
            continue
        theirs = [t for p in peers if same_coverage(mine, t := scope_figures(p, key))]
        for name in COMPARED:
            value = mine[name]
            others = [t[name] for t in theirs if t[name] is not None]
            if value is None or not others:
                continue
            median = statistics.median(others)
            result[key][name] = {
                "value": value,
                "median": round(median, 4),
                "percentile": _percentile(value, others),
                "ratio": round(value / median, 3) if median else None,
            }
    return result


def gaps_and_strengths(
    own: dict[str, Any], peers: list[dict[str, Any]], categories: list[str], compared: dict
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Gaps: categories absent here but present at most peers; strengths: top-decile
    figures. Both need the sources to cover the category here and at the peers counted."""
    gaps = []
    for code in categories:
        key = f"cat:{code}"
        mine = scope_figures(own, key)
        if mine["covered"] != FULL or mine["count"]:
            continue
        theirs = [t for p in peers if (t := scope_figures(p, key))["covered"] == FULL]
        present = sum(1 for t in theirs if t["count"])
        if theirs and present / len(theirs) >= GAP_SHARE:
            gaps.append({"category": code, "peers_with_it": present, "peers": len(theirs)})
    strengths = [
        {"scope": key, "per_10k": figure["value"], "percentile": figure["percentile"]}
        for key, figures in compared.items()
        if (figure := figures.get("per_10k"))
        and figure["value"]
        and (figure["percentile"] or 0) >= STRENGTH_PERCENTILE
    ]
    return gaps, strengths


def sources_looking_at(territory: Territory) -> list[dict[str, Any]]:
    """The sources whose declared area holds this territory (« whole ») or lies in it
    (« part »), with what they inventory and the date their data describe."""
    sources = covering_sources()
    area_ids = {tid for source in sources for tid in source.area}
    areas = {
        t.id: {t.id, t.epci_id, t.departement_id, t.region_id, "fr"}
        for t in Territory.objects.filter(id__in=area_ids).only(
            "id", "epci_id", "departement_id", "region_id"
        )
    }
    own = {territory.id, territory.epci_id, territory.departement_id, territory.region_id, "fr"}
    if territory.level == Level.EPCI:  # its départements and régions are its communes'
        for row in (
            Territory.objects.filter(epci_id=territory.id)
            .values_list("departement_id", "region_id")
            .distinct()
        ):
            own.update(row)
    found = []
    for source in sources:
        holds = any(tid in own for tid in source.area)
        inside = any(territory.id in areas.get(tid, ()) for tid in source.area)
        if holds or inside:
            found.append(
                {
                    "name": source.name,
                    "licence": source.licence,
                    "categories": source.categories,
                    "area": source.area,
                    "extent": "whole" if holds else "part",
                    "vintage": source.vintage.isoformat() if source.vintage else None,
                    "proposed": source.proposed,
                }
            )
    return found


def _coverage_summary(figures: dict[str, Any], categories: list[str]) -> dict[str, int]:
    states = [covered(coverage_share(figures, f"cat:{code}")) for code in categories]
    return {state: states.count(state) for state in (FULL, PARTIAL, NONE)}


def _readable(figures: dict[str, Any], families: list[str], categories: list[str]) -> dict:
    return {
        "all": scope_figures(figures, "all"),
        "families": {code: scope_figures(figures, f"fam:{code}") for code in families},
        "categories": {code: scope_figures(figures, f"cat:{code}") for code in categories},
    }


def invalid_peers(
    territory_id: str, level: str, unknown: list[str], other_level: list[str]
) -> InvalidPeers:
    parts = []
    if unknown:
        parts.append(
            _("Pairs inconnus : %(ids)s (formes attendues : dep:29, epci:200039865, com:35238).")
            % {"ids": ", ".join(unknown)}
        )
    if other_level:
        parts.append(
            _("Pairs d'un autre niveau que %(id)s (%(level)s) : %(ids)s.")
            % {"id": territory_id, "level": Level(level).label, "ids": ", ".join(other_level)}
        )
    return InvalidPeers(" ".join(parts), details={"unknown": unknown, "other_level": other_level})


# The comparison with the peers is the costly part of a portrait (the portrait page and the
# API under load): kept in each process's cache for one run of the figures (its id and date
# are in the key, so a recompute is seen at once); staleness, footprints and published series
# are read on every call, as they change without a run.
COMPARED_SECONDS = 300


def portrait(
    territory_id: str, chosen_peers: list[str] | None = None, *, strict: bool = False
) -> dict[str, Any]:
    """Every figure of one territory with its peer comparison, as a JSON-ready dict (the
    `maillage indicators` output and the portrait page's JSON twin).

    Chosen peers that are unknown or of another level are left out and listed
    (`peers.not_found`, `peers.other_level`), or with `strict` (the API and the command)
    refused with `InvalidPeers`."""
    run = latest_run()
    if run is None:
        raise FiguresNotComputed(
            _(
                "Les indicateurs n'ont pas encore été calculés : lancez « maillage indicators --recompute »."
            )
        )
    chosen = [p for p in (chosen_peers or []) if p != territory_id][:MAX_CHOSEN_PEERS]
    key = "|".join(
        ["indicators.portrait", str(run.pk), run.computed_at.isoformat(), get_language() or "",
         territory_id, ",".join(chosen)]
    )  # fmt: skip
    cached: tuple[dict[str, Any], dict[str, Any], dict[str, Any]] | None = cache.get(key)
    if cached is None:
        cached = _compared(run, territory_id, chosen)
        cache.set(key, cached, COMPARED_SECONDS)
    head, body, peers = cached
    if strict and (peers["not_found"] or peers["other_level"]):
        territory = head["territory"]
        raise invalid_peers(
            territory["id"], territory["level"], peers["not_found"], peers["other_level"]
        )
    return {
        **head,
        "stale": is_stale(run),
        **body,
        "footprints": footprints(territory_id, [m["id"] for m in peers["members"]]),
        "time_series": time_series(territory_id),
        # Read on every call, like footprints: a register import changes them without a run.
        "registers": registers_emergence(territory_id, [m["id"] for m in peers["members"]]),
        "peers": peers,
    }


def _compared(
    run: IndicatorRun, territory_id: str, chosen: list[str]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """What the figures of one run say of a territory and its peers: the portrait's head,
    its body and its peers (see portrait())."""
    rows = stored([territory_id])
    if territory_id not in rows:
        raise FiguresNotComputed(
            _("Aucun chiffre pour %(id)s : relancez « maillage indicators --recompute ».")
            % {"id": territory_id}
        )
    own = rows[territory_id]
    figures = own.figures
    peer_ids = chosen or figures.get("peers", [])
    peer_rows = stored(peer_ids)
    level = own.territory.level
    not_found = [p for p in chosen if p not in peer_rows]
    other_level = [p for p in chosen if p in peer_rows and peer_rows[p].territory.level != level]
    peers = [
        peer_rows[p] for p in peer_ids if p in peer_rows and peer_rows[p].territory.level == level
    ]
    typology = load_typology()  # the codes in the typology's order, as computed
    families, categories = typology.families, typology.categories
    scopes = ["all", *(f"fam:{c}" for c in families), *(f"cat:{c}" for c in categories)]
    compared = compare(figures, [p.figures for p in peers], scopes)
    gaps, strengths = gaps_and_strengths(figures, [p.figures for p in peers], categories, compared)
    territory = own.territory
    population, area = figures.get("population"), figures.get("area_km2")
    total = figures["initiatives"]
    dated = scope_figures(figures, "all")["dated"]
    verified = scope_figures(figures, "all")["verified"]
    with_activity = scope_figures(figures, "all")["with_activity"]
    head = {
        "territory": {
            "id": territory.id,
            "name": territory.name,
            "level": territory.level,
            "population": population,
            "area_km2": area,
            "density": round(population / area, 1) if population and area else None,
            "density_class": figures.get("density_class"),
        },
        "computed_at": run.computed_at.isoformat(),
        "reference_date": run.reference_date.isoformat(),
    }
    body = {
        **_readable(figures, families, categories),
        "diversity": Diversity(*figures["diversity"])._asdict(),
        "emergence": {"creations_per_year": figures.get("creations", {})},
        "completeness": {
            "initiatives": total,
            "dated_share": round(dated / total, 4) if total else None,
            "verified_12_months_share": round(verified / total, 4) if total else None,
            # Activity reported (maillage.catalog.activity) for this year or the last.
            "activity_data_share": round(with_activity / total, 4) if total else None,
        },
        "sources": [
            {"name": name, "licence": licence, "count": count}
            for name, licence, count in figures.get("sources", [])
        ],
        "coverage": {
            "categories": _coverage_summary(figures, categories),
            "sources": sources_looking_at(territory),
        },
    }
    peer_part = {
        "chosen_by": "user" if chosen else "rule",
        "rule": None if chosen else peer_rule(territory.level),
        "members": [{"id": p.territory.id, "name": p.territory.name} for p in peers],
        # Chosen ids with no figures (mistyped, or not a territory): said, not dropped.
        "not_found": not_found,
        "other_level": other_level,
        "indicators": compared,
        "gaps": gaps,
        "strengths": strengths,
    }
    return head, body, peer_part


def registers(territory_id: str, chosen_peers: list[str] | None = None) -> dict[str, Any]:
    """The register part of the portrait alone (`/api/v1/territories/<id>/registers`): the
    peers are the chosen ones, else the rule's from the stored figures (none before the
    first computation: the registers are then shown without comparison)."""
    peer_ids = [p for p in (chosen_peers or []) if p != territory_id][:MAX_CHOSEN_PEERS]
    if not peer_ids:
        rows = stored([territory_id])
        peer_ids = rows[territory_id].figures.get("peers", []) if territory_id in rows else []
    return registers_emergence(territory_id, peer_ids)


def peer_rule(level: str) -> str:
    k = PEERS_BY_LEVEL.get(level)
    if k is None:
        return _("pas de pairs à ce niveau")
    return _(
        "les %(k)s territoires du même niveau et de la même classe de densité les plus "
        "proches en population"
    ) % {"k": k}


def time_series(territory_id: str) -> list[dict[str, Any]]:
    """Counts published by sources over time for this territory (see history.py)."""
    series: dict[tuple[str, str | None], dict[str, Any]] = {}
    rows = CountSnapshot.objects.filter(territory_id=territory_id).order_by(
        "source", "category_id", "date"
    )
    for row in rows:
        key = (row.source, row.category_id)
        entry = series.setdefault(
            key,
            {
                "source": row.source,
                "licence": row.licence,
                "category": row.category_id,
                "points": [],
            },
        )
        entry["points"].append([row.date.isoformat(), row.count])
    return list(series.values())


def footprints(territory_id: str, peer_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """The platforms' footprint of the territory, one group per platform and date, compared
    with the peers that have figures (see indicators/footprints.py)."""
    return footprint_groups(territory_id, peer_ids or [])


POINTS_LIMIT = 5000


def public_in(territory: Territory) -> Any:
    """The public initiatives placed in a territory (its communes)."""
    base = Initiative.objects.public()
    match territory.level:
        case "com":
            return base.filter(commune_id=territory.id)
        case "epci":
            return base.filter(commune__epci_id=territory.id)
        case "dep":
            return base.filter(commune__departement_id=territory.id)
        case "reg":
            return base.filter(commune__region_id=territory.id)
    return base.filter(commune__isnull=False)


def points(territory: Territory, limit: int = POINTS_LIMIT) -> dict[str, Any]:
    """The initiatives with a point, as GeoJSON; none beyond `limit` (the map then says so
    and the choropleth carries the figures)."""
    located = public_in(territory).filter(lon__isnull=False)
    total = located.count()
    features = []
    if total <= limit:
        for pk, name, category, lon, lat in located.values_list(
            "id", "name", "category_id", "lon", "lat"
        ):
            features.append(
                {
                    "type": "Feature",
                    "id": pk,
                    "properties": {"name": name, "category": category or "a-classer"},
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                }
            )
    return {"type": "FeatureCollection", "total": total, "limit": limit, "features": features}
