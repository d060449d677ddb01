"""Every indicator of every territory, from the arrays of inputs.py, with numpy only.

What is counted: published, live initiatives placed in a commune. `count`, the shares of the
population, reach, diversity and completeness (`appeared`: brought in the last 12 months by a
harvest of a source that had been harvested before, `dated`, `verified`, `with_activity`:
activity reported for this year or the last, `first_imported`: came with the first harvest
of its source — which says nothing of when it was created) concern the
**active** ones (status « actif »); `projects` counts status « projet »; creations
(`created_3y`, `growth_3y`, `creations`) count every initiative with a known year of creation
or opening except projects — a closed one was created too.

Counts are first made per commune (a communes × categories matrix), then summed up to each
EPCI, département, région and France through the commune's ancestors, so that every level
adds up exactly. A territory's figures are one compact document (`TerritoryFigures.figures`):

    {"population": int | None, "area_km2": float | None, "initiatives": int,
     "scopes": {"all" | "fam:<code>" | "cat:<code>": [count, per_10k, commune_share,
                reach_share, projects, created_3y, growth_3y, appeared, dated, verified,
                with_activity, first_imported]},   (see ScopeFigures)
     "coverage": {scope: share of the population where a source inventories it (0–1)},
                 (a scope absent: no source looked; see coverage_shares)
     "reach_only": {scope: reach_share},
     "diversity": [categories present, Shannon index],   (see Diversity)
     "creations": {"all" | "<family>": {year: count}},
     "sources": [[name, licence, count], …],
     "peers": [territory id, …], "density_class": str, "population_class": int}

Only scopes with at least one initiative are stored in full (a missing scope is all zeros);
a scope without an initiative here but with people within reach of one elsewhere keeps only
that share, in `reach_only` {scope: share}. This keeps a commune's document small. Shares are of the population
(0–1), null without population; growth_3y is null when no initiative has a known creation year
before the three-year window.
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .inputs import Inventory, Referential, Typology
from .peers import peer_groups
from .reach import within_reach


class ScopeFigures(NamedTuple):
    """The figures of one scope of a territory, stored as a JSON list in this order (a
    list per scope keeps a million-figure recompute fast and the documents small): read
    them back by name with `ScopeFigures(*values)` (see selectors.scope_figures)."""

    count: int  # type: ignore[assignment]  # shadows tuple.count: the stored name
    per_10k: float | None
    commune_share: float | None
    reach_share: float | None
    projects: int
    created_3y: int
    growth_3y: float | None
    appeared: int
    dated: int
    verified: int
    with_activity: int
    first_imported: int


class Diversity(NamedTuple):
    """A territory's diversity, stored as a JSON list in this order."""

    categories: int  # categories with at least one active initiative
    shannon: float  # Shannon index of the active initiatives over the categories


FIELDS = ScopeFigures._fields
GROWTH_YEARS = 3


@dataclass
class Matrices:
    """Per territory (rows) and scope (columns: all, families, categories)."""

    scopes: list[str]
    count: np.ndarray
    commune_pop: np.ndarray  # population of the communes that have one
    reach_pop: np.ndarray  # population within reach
    projects: np.ndarray
    created_3y: np.ndarray
    dated_before: np.ndarray  # with a known creation year before the three-year window
    appeared: np.ndarray
    first_imported: np.ndarray
    dated: np.ndarray
    verified: np.ndarray
    with_activity: np.ndarray


def _per_commune(
    values: np.ndarray, inventory: Inventory, n_communes: int, n_cat: int
) -> np.ndarray:
    """communes × (categories + 1) sums of `values`; the last column is « à classer »."""
    category = np.where(inventory.category < 0, n_cat, inventory.category)
    flat = inventory.commune * (n_cat + 1) + category
    summed = np.bincount(flat, weights=values, minlength=n_communes * (n_cat + 1))
    return summed.reshape(n_communes, n_cat + 1)


def _widen(
    per_category: np.ndarray, typology: Typology, total: np.ndarray | None = None
) -> np.ndarray:
    """communes × (categories + 1) → communes × (1 + families + categories): the « all »
    column (every initiative, « à classer » included), the families, the categories."""
    n_cat = len(typology.categories)
    categories = per_category[:, :n_cat]
    families = np.zeros((per_category.shape[0], len(typology.families)))
    for f in range(len(typology.families)):
        families[:, f] = categories[:, typology.family_of == f].sum(axis=1)
    everything = per_category.sum(axis=1) if total is None else total
    return np.column_stack([everything, families, categories])


def _up(per_commune: np.ndarray, referential: Referential) -> np.ndarray:
    """Sum commune rows into every territory through the ancestors (a commune's own row, its
    EPCI's, département's, région's and France's): one sorted reduceat per level."""
    result = np.zeros((referential.size, per_commune.shape[1]))
    for column in range(referential.ancestors.shape[1]):
        target = referential.ancestors[:, column]
        keep = np.flatnonzero(target >= 0)
        if not len(keep):
            continue
        order = keep[np.argsort(target[keep], kind="stable")]
        targets = target[order]
        starts = np.flatnonzero(np.r_[True, targets[1:] != targets[:-1]])
        result[targets[starts]] += np.add.reduceat(per_commune[order], starts, axis=0)
    return result


def matrices(
    referential: Referential, inventory: Inventory, typology: Typology, year: int
) -> Matrices:
    n_communes, n_cat = len(referential.communes), len(typology.categories)
    placed = inventory.commune >= 0
    inv = _subset(inventory, placed)

    def summed(values: np.ndarray) -> np.ndarray:
        return _up(_widen(_per_commune(values, inv, n_communes, n_cat), typology), referential)

    # Creations: every initiative with a known year but projects (not created yet), closed
    # ones included (they were created). Counts, presence, reach and completeness: the active.
    created = (inv.created_year > 0) & ~inv.projet
    first_window_year = year - GROWTH_YEARS
    in_window = created & (inv.created_year >= first_window_year) & (inv.created_year < year)
    before = created & (inv.created_year < first_window_year)
    active = inv.active
    counts_commune = _per_commune(active.astype(float), inv, n_communes, n_cat)
    present = _widen(counts_commune, typology) > 0
    pop = np.nan_to_num(referential.population[referential.communes])
    reach = within_reach(
        referential.commune_group, referential.commune_lon, referential.commune_lat,
        inv.commune[active], inv.category[active], inv.lon[active], inv.lat[active],
        typology.categories,
    )  # fmt: skip
    reach_wide = _widen_bool(reach, typology)
    return Matrices(
        scopes=["all"]
        + [f"fam:{f}" for f in typology.families]
        + [f"cat:{c}" for c in typology.categories],
        count=_up(_widen(counts_commune, typology), referential),
        commune_pop=_up(present * pop[:, None], referential),
        reach_pop=_up(reach_wide * pop[:, None], referential),
        projects=summed(inv.projet.astype(float)),
        created_3y=summed(in_window.astype(float)),
        dated_before=summed(before.astype(float)),
        appeared=summed((active & inv.appeared).astype(float)),
        first_imported=summed((active & inv.first_imported).astype(float)),
        dated=summed((active & (inv.created_year > 0)).astype(float)),
        verified=summed((active & inv.verified).astype(float)),
        with_activity=summed((active & inv.with_activity).astype(float)),
    )


def _widen_bool(reach: np.ndarray, typology: Typology) -> np.ndarray:
    """Within reach of a family: of one of its categories; of anything: of any category."""
    families = np.zeros((reach.shape[0], len(typology.families)), dtype=bool)
    for f in range(len(typology.families)):
        families[:, f] = reach[:, typology.family_of == f].any(axis=1)
    return np.column_stack([reach.any(axis=1), families, reach])


def _subset(inventory: Inventory, keep: np.ndarray) -> Inventory:
    return Inventory(
        commune=inventory.commune[keep], category=inventory.category[keep],
        lon=inventory.lon[keep], lat=inventory.lat[keep], active=inventory.active[keep],
        projet=inventory.projet[keep],
        created_year=inventory.created_year[keep], appeared=inventory.appeared[keep],
        first_imported=inventory.first_imported[keep],
        verified=inventory.verified[keep], source=inventory.source[keep],
        with_activity=inventory.with_activity[keep],
        sources=inventory.sources,
    )  # fmt: skip


def shannon(counts: np.ndarray) -> float:
    total = counts.sum()
    if total <= 0:
        return 0.0
    shares = counts[counts > 0] / total
    return float(-(shares * np.log(shares)).sum())


def _creations(
    referential: Referential, inventory: Inventory, typology: Typology
) -> tuple[list[int], np.ndarray]:
    """Creations per year, per territory, for « all » and each family:
    (years, territories × (1 + families) × years)."""
    inv = _subset(
        inventory, (inventory.commune >= 0) & (inventory.created_year > 0) & ~inventory.projet
    )
    if not inv.size:
        return [], np.zeros((referential.size, 1 + len(typology.families), 0))
    years = sorted({int(y) for y in np.unique(inv.created_year)})
    year_index = np.searchsorted(np.array(years), inv.created_year)
    family = np.where(inv.category >= 0, typology.family_of[np.maximum(inv.category, 0)] + 1, -1)
    n_years, n_scopes = len(years), 1 + len(typology.families)
    per_commune = np.zeros((len(referential.communes), n_scopes * n_years))
    np.add.at(per_commune, (inv.commune, year_index), 1)
    classified = family >= 0
    np.add.at(
        per_commune,
        (inv.commune[classified], family[classified] * n_years + year_index[classified]),
        1,
    )
    return years, _up(per_commune, referential).reshape(referential.size, n_scopes, n_years)


# A scope is « covered » on a territory from this share of its population up (rounding).
FULL_COVERAGE = 0.995


def coverage_shares(
    referential: Referential, typology: Typology, covered: np.ndarray
) -> np.ndarray:
    """territories × scopes (all, families, categories): the share of the territory's
    population living where some source inventories the scope (the share of its communes
    when it has no population). A family's or « all »'s share is the mean of its categories':
    half of its categories covered everywhere is 0.5."""
    pop = np.nan_to_num(referential.population[referential.communes])
    as_float = covered.astype(float)
    covered_pop = _up(as_float * pop[:, None], referential)
    covered_n = _up(as_float, referential)
    totals = _up(np.column_stack([pop, np.ones(len(pop))]), referential)
    with np.errstate(divide="ignore", invalid="ignore"):
        by_pop = covered_pop / totals[:, :1]
        by_communes = covered_n / totals[:, 1:]
    categories = np.where(totals[:, :1] > 0, by_pop, np.where(totals[:, 1:] > 0, by_communes, 0.0))
    families = np.zeros((referential.size, len(typology.families)))
    for f in range(len(typology.families)):
        members = typology.family_of == f
        if members.any():
            families[:, f] = categories[:, members].mean(axis=1)
    everything = categories.mean(axis=1) if categories.shape[1] else np.zeros(referential.size)
    shares = np.column_stack([everything, families, categories])
    return np.where(shares >= FULL_COVERAGE, 1.0, np.round(shares, 3))


def _sources(referential: Referential, inventory: Inventory) -> np.ndarray:
    inv = _subset(inventory, inventory.commune >= 0)
    per_commune = np.zeros((len(referential.communes), max(len(inv.sources), 1)))
    np.add.at(per_commune, (inv.commune, inv.source), 1)
    return _up(per_commune, referential)


def documents(
    referential: Referential,
    inventory: Inventory,
    typology: Typology,
    today: datetime.date,
    covered: np.ndarray,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(territory id, figures document) for every territory; `covered`: communes ×
    categories, where some source inventories the category (inputs.load_coverage)."""
    m = matrices(referential, inventory, typology, today.year)
    coverage = coverage_shares(referential, typology, covered)
    covered_any = coverage > 0
    years, creations = _creations(referential, inventory, typology)
    sources = _sources(referential, inventory)
    # Population of a territory: the sum of its communes', so that shares never exceed 1.
    communes_pop = np.nan_to_num(referential.population[referential.communes])[:, None]
    population = _up(communes_pop, referential)[:, 0]
    groups = peer_groups(referential, population)
    with np.errstate(divide="ignore", invalid="ignore"):
        pop = np.where(population > 0, population, np.nan)[:, None]
        shares = np.stack(
            [
                np.round(m.count / pop * 10_000, 3),
                np.round(m.commune_pop / pop, 4),
                np.round(m.reach_pop / pop, 4),
                np.round(np.where(m.dated_before > 0, m.created_3y / m.dated_before, np.nan), 4),
            ],
            axis=2,
        )
    counts = np.stack(
        [
            m.count,
            m.projects,
            m.created_3y,
            m.appeared,
            m.dated,
            m.verified,
            m.with_activity,
            m.first_imported,
        ],
        axis=2,
    ).astype(np.int64)
    # A scope is stored in full when it has something to say: active initiatives, projects,
    # or creations (closed initiatives were created too).
    counted = (counts > 0).any(axis=2) | (m.dated_before > 0)
    # People within reach of a practice that has no initiative here: only that share is kept.
    reach_only = ~counted & (m.reach_pop > 0)
    n_families = len(typology.families)
    per_category = m.count[:, 1 + n_families :]
    diversity = (per_category > 0).sum(axis=1)
    creation_keys = ["all", *typology.families]
    area = referential.area_km2
    for t, territory_id in enumerate(referential.ids):
        columns = np.flatnonzero(counted[t])
        scopes = {}
        # NaN (no population, nothing to grow from) stays NaN here: the JSON writer makes it
        # null, which is much cheaper than testing a million values in Python.
        for s, integers, floats in zip(
            columns.tolist(), counts[t, columns].tolist(), shares[t, columns].tolist(), strict=True
        ):
            (count, projects, created_3y, appeared, dated, verified, with_activity,
             first_imported) = integers  # fmt: skip
            per_10k, commune_share, reach_share, growth_3y = floats
            # In the order of ScopeFigures (a plain list: the JSON writer takes no other).
            scopes[m.scopes[s]] = [
                count, per_10k, commune_share, reach_share, projects, created_3y, growth_3y,
                appeared, dated, verified, with_activity, first_imported,
            ]  # fmt: skip
        nearby = np.flatnonzero(reach_only[t])
        reach = dict(
            zip([m.scopes[s] for s in nearby.tolist()], shares[t, nearby, 2].tolist(), strict=True)
        )
        looked = np.flatnonzero(covered_any[t])
        scope_coverage = dict(
            zip([m.scopes[s] for s in looked.tolist()], coverage[t, looked].tolist(), strict=True)
        )
        yield (
            territory_id,
            {
                "population": int(population[t]) if population[t] > 0 else None,
                "area_km2": None if np.isnan(area[t]) else round(float(area[t]), 2),
                "initiatives": int(m.count[t, 0]),
                "scopes": scopes,
                "reach_only": reach,
                "coverage": scope_coverage,
                "diversity": [int(diversity[t]), round(shannon(per_category[t]), 4)],  # Diversity
                "creations": _creation_series(creations[t], years, creation_keys),
                "sources": [
                    [name, licence, int(sources[t, i])]
                    for i, (name, licence) in enumerate(inventory.sources)
                    if sources[t, i] > 0
                ],
                **groups[t],
            },
        )


def _creation_series(
    creations: np.ndarray, years: list[int], keys: list[str]
) -> dict[str, dict[str, int]]:
    series: dict[str, dict[str, int]] = {}
    scopes, year_positions = np.nonzero(creations)
    for scope, position in zip(scopes.tolist(), year_positions.tolist(), strict=True):
        series.setdefault(keys[scope], {})[str(years[position])] = int(creations[scope, position])
    return series
