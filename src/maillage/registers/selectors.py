"""Reads of the registers: what the current imports say of a territory (creations per year for
the practice-related codes, their trend, the comparison with peers), which part of it the files
cover, and the raw counts per activity code.

A territory no register file describes has **no register data** — never a 0: the answer then
says « pas de données du registre ». A territory the files describe only in part (Lyon, of
which the Lyon 4e file covers one arrondissement out of nine) gets its counts with that said,
and no figure per inhabitant (the population of the part described is not the territory's).
"""

import statistics
from collections import defaultdict
from functools import lru_cache
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from maillage.catalog.models import Category, current_language
from maillage.sources.limits import number
from maillage.territories.models import Territory, TerritoryAlias

from . import mapping
from .models import RegisterCount, RegisterImport, RegisterSeries
from .services import ALL, OLD_CODES, PRACTICES, UNKNOWN_CODE
from .sirene import last_complete_year

WINDOW = 3  # years of the trend's window, and of the comparison with peers
STABLE = 0.10  # a change smaller than this is « stable »
FULL, PARTIAL = "full", "partial"
NO_DATA = gettext_noop("pas de données du registre")
LEVEL_FIELD = {"epci": "epci_id", "dep": "departement_id", "reg": "region_id"}


def current_imports() -> list[RegisterImport]:
    return list(RegisterImport.objects.filter(current=True).order_by("source"))


# --- coverage ----------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _covered(codes: tuple[str, ...]) -> tuple[dict[str, str], dict[str, list[tuple[str, str]]]]:
    """The communes a file describes: commune id → « full » or « partial », and for the
    partial ones the parts described ((code, name) of arrondissements or former communes).
    A commune with arrondissements (Paris, Lyon, Marseille) is whole when all of them are."""
    wanted = set(codes)
    direct = dict(Territory.objects.filter(level="com", code__in=wanted).values_list("id", "code"))
    status = dict.fromkeys(direct, FULL)
    parts: dict[str, list[tuple[str, str]]] = defaultdict(list)
    aliases = TerritoryAlias.objects.filter(code__in=wanted).values_list(
        "code", "name", "kind", "territory_id"
    )
    for code, name, _kind, commune in aliases:
        if commune not in status:
            parts[commune].append((code, name))
    if parts:
        arrondissements: defaultdict[str, set[str]] = defaultdict(set)
        for code, commune in TerritoryAlias.objects.filter(
            territory_id__in=list(parts), kind=TerritoryAlias.Kind.ARRONDISSEMENT
        ).values_list("code", "territory_id"):
            arrondissements[commune].add(code)
        for commune, described in parts.items():
            whole = arrondissements.get(commune)
            status[commune] = FULL if whole and whole <= {c for c, _n in described} else PARTIAL
    return status, {c: sorted(p) for c, p in parts.items() if status[c] == PARTIAL}


def _commune_totals(territories: list[Territory]) -> dict[str, int]:
    """Number of communes in each territory."""
    totals: dict[str, int] = {}
    for territory in territories:
        if territory.level == "com":
            totals[territory.id] = 1
    for level, field in LEVEL_FIELD.items():
        ids = [t.id for t in territories if t.level == level]
        if ids:
            grouped = (
                Territory.objects.filter(level="com", **{f"{field}__in": ids})
                .values(field)
                .annotate(n=Count("id"))
            )
            totals.update({row[field]: row["n"] for row in grouped})
    if any(t.level == "fr" for t in territories):
        totals["fr"] = Territory.objects.filter(level="com").count()
    return totals


def coverage(run: RegisterImport, territories: list[Territory]) -> dict[str, dict[str, Any]]:
    """Territory id → how much of it the file describes: `status` (« full » or « partial »),
    communes described whole and in part out of its communes, and a sentence saying so."""
    status, parts = _covered(tuple(run.codes))
    totals = _commune_totals(territories)
    memberships = {
        row[0]: set(row[1:])
        for row in Territory.objects.filter(id__in=list(status)).values_list(
            "id", "epci_id", "departement_id", "region_id"
        )
    }
    result = {}
    for territory in territories:
        tid = territory.id
        inside = [
            c for c in status
            if territory.level == "fr" or c == tid or tid in memberships.get(c, set())
        ]  # fmt: skip
        whole = sum(1 for c in inside if status[c] == FULL)
        partial = len(inside) - whole
        total = totals.get(tid, 0)
        full = bool(total) and whole == total
        entry: dict[str, Any] = {
            "status": FULL if full else PARTIAL,
            "communes": total,
            "communes_whole": whole,
            "communes_partial": partial,
            "parts": [],
        }
        if territory.level == "com" and tid in parts:
            entry["parts"] = [{"code": code, "name": name} for code, name in parts[tid]]
            names = ", ".join(f"{name} ({code})" for code, name in parts[tid])
            arrondissements = TerritoryAlias.objects.filter(
                territory_id=tid, kind=TerritoryAlias.Kind.ARRONDISSEMENT
            ).count()
            entry["note"] = _(
                "Le fichier du registre ne couvre que %(parts)s, pas toute la commune de "
                "%(name)s%(of)s : les décomptes ne valent que pour cette partie."
            ) % {
                "parts": names,
                "name": territory.name,
                "of": (
                    _(" (%(n)s arrondissement(s) sur %(total)s)")
                    % {"n": len(parts[tid]), "total": arrondissements}
                    if arrondissements
                    else ""
                ),
            }
        elif full:
            entry["note"] = _("Le fichier du registre couvre tout le territoire.")
        else:
            entry["note"] = ngettext(
                "Le fichier du registre ne couvre que %(whole)s commune entière et %(partial)s "
                "en partie sur %(total)s : les décomptes ne valent que pour cette partie.",
                "Le fichier du registre ne couvre que %(whole)s communes entières et "
                "%(partial)s en partie sur %(total)s : les décomptes ne valent que pour cette "
                "partie.",
                whole,
            ) % {"whole": number(whole), "partial": number(partial), "total": number(total)}
        result[tid] = entry
    return result


# --- emergence ---------------------------------------------------------------------------


def _series(
    run: RegisterImport, territory_ids: list[str], scopes: list[str] | None = None
) -> dict[str, dict[str, dict[int, list[int]]]]:
    """territory → scope → year → [creations, closures, stock]."""
    rows = RegisterSeries.objects.filter(run=run, territory_id__in=territory_ids)
    if scopes is not None:
        rows = rows.filter(scope__in=scopes)
    found: dict[str, dict[str, dict[int, list[int]]]] = defaultdict(lambda: defaultdict(dict))
    for tid, scope, year, creations, closures, stock in rows.values_list(
        "territory_id", "scope", "year", "creations", "closures", "stock"
    ):
        found[tid][scope][year] = [creations, closures, stock]
    return found


def _by_year(years: dict[int, list[int]], what: int) -> dict[str, int]:
    return {str(year): values[what] for year, values in sorted(years.items()) if values[what]}


def _figures(years: dict[int, list[int]]) -> dict[str, dict[str, int]]:
    return {
        "creations": _by_year(years, 0),
        "closures": _by_year(years, 1),
        "stock": _by_year(years, 2),
    }


def _window_sum(years: dict[int, list[int]], first: int, last: int) -> int:
    return sum(values[0] for year, values in years.items() if first <= year <= last)


def trend(years: dict[int, list[int]], last: int) -> dict[str, Any]:
    """Creations of the last WINDOW complete years against the WINDOW before."""
    window = [last - WINDOW + 1, last]
    previous = [last - 2 * WINDOW + 1, last - WINDOW]
    now, before = _window_sum(years, *window), _window_sum(years, *previous)
    change = round((now - before) / before, 4) if before else None
    if change is None:
        direction = None
    elif abs(change) < STABLE:
        direction = "stable"
    else:
        direction = "hausse" if change > 0 else "baisse"
    return {
        "window": window,
        "previous_window": previous,
        "creations": now,
        "previous_creations": before,
        "change": change,
        "direction": direction,
    }


def _percentile(value: float, others: list[float]) -> float | None:
    """Percentile rank among the peers: the share below, ties counted half."""
    if not others:
        return None
    below = sum(1 for v in others if v < value)
    equal = sum(1 for v in others if v == value)
    return round(100.0 * (below + 0.5 * equal) / len(others), 1)


def _per_10k(creations: int, population: int | None) -> float | None:
    if not population:
        return None
    return round(creations / population * 10_000, 3)


def _peers(
    run: RegisterImport,
    territory: Territory,
    own: dict[str, Any],
    own_coverage: dict[str, Any],
    peer_ids: list[str],
    window: list[int],
) -> dict[str, Any]:
    """Practice-related creations of the window per 10,000 inhabitants, here and at the peers
    the same file describes whole. Peers it does not describe are counted, not compared."""
    peers = list(
        Territory.objects.filter(id__in=peer_ids).only("id", "name", "level", "population")
    )
    series = _series(run, [p.id for p in peers], [PRACTICES, ALL])
    described = [p for p in peers if p.id in series]
    covered = coverage(run, described) if described else {}
    compared: list[dict[str, Any]] = []
    for peer in described:
        if covered[peer.id]["status"] != FULL:
            continue
        value = _per_10k(_window_sum(series[peer.id].get(PRACTICES, {}), *window), peer.population)
        if value is not None:
            compared.append({"id": peer.id, "name": peer.name, "per_10k": value})
    mine = None
    if own_coverage["status"] == FULL:
        mine = _per_10k(own["trend"]["creations"], territory.population)
    others: list[float] = [c["per_10k"] for c in compared]
    if own_coverage["status"] != FULL:
        note = _(
            "Couverture partielle : pas de chiffre par habitant, donc pas de comparaison avec "
            "les pairs."
        )
    elif not compared:
        note = _("Aucun pair n'a de données du registre dans ce fichier : pas de comparaison.")
    else:
        note = ""
    return {
        "members": len(peer_ids),
        "with_data": len(compared),
        "without_data": len(peer_ids) - len(compared),
        "window": window,
        "per_10k": mine,
        "median_per_10k": round(statistics.median(others), 3) if others else None,
        "percentile": _percentile(mine, others) if mine is not None and others else None,
        "compared": compared,
        "note": note,
    }


def emergence(territory_id: str, peer_ids: list[str] | None = None) -> dict[str, Any]:
    """What the register files say of a territory's emergence (JSON-ready): for each current
    import that describes it, practice-related creations, closures and stock per year (in
    all and per category), their trend, the comparison with peers and the coverage."""
    territory = Territory.objects.only("id", "name", "level", "population").get(id=territory_id)
    answers = []
    labels: dict[str, str] = {}
    for run in current_imports():
        found = _series(run, [territory_id]).get(territory_id)
        if not found:
            continue
        if not labels:
            english = current_language() == "en"
            for code, label_fr, label_en in Category.objects.values_list(
                "code", "label_fr", "label_en"
            ):
                labels[code] = label_en if english and label_en else label_fr
        last = last_complete_year(run.vintage)
        practices = found.get(PRACTICES, {})
        everything = found.get(ALL, {})
        own_coverage = coverage(run, [territory])[territory_id]
        entry: dict[str, Any] = {
            "source": run.source,
            "kind": run.register,
            "label": run.label,
            "licence": run.licence,
            "attribution": run.attribution,
            "vintage": run.vintage.isoformat(),
            "imported_at": run.imported_at.isoformat(),
            "last_complete_year": last,
            "coverage": own_coverage,
            "mapping": mapping.table_version(),
            "practices": _figures(practices),
            "categories": {
                scope.split(":", 1)[1]: {
                    "label": labels.get(scope.split(":", 1)[1], scope),
                    **_figures(years),
                    "trend": trend(years, last),
                }
                for scope, years in sorted(found.items())
                if scope.startswith("cat:")
            },
            "all_establishments": _figures(everything),
            "old_codes_creations": _by_year(found.get(OLD_CODES, {}), 0),
            "unknown_code_creations": _by_year(found.get(UNKNOWN_CODE, {}), 0),
            "trend": trend(practices, last),
        }
        window = entry["trend"]["window"]
        total = _window_sum(everything, *window)
        entry["trend"]["share_of_all_creations"] = (
            round(entry["trend"]["creations"] / total, 4) if total else None
        )
        entry["peers"] = _peers(run, territory, entry, own_coverage, peer_ids or [], window)
        answers.append(entry)
    return {
        "available": bool(answers),
        "message": None if answers else _(NO_DATA),
        "sources": answers,
    }


# --- raw counts --------------------------------------------------------------------------


def code_table(territory_id: str, source: str = "", code_prefix: str = "") -> dict[str, Any]:
    """Creations, closures, reopenings and stock per activity code and year of a territory,
    with the rule that ties each code to the typology (`maillage registers show`)."""
    classifier = mapping.current_classifier()
    runs = [r for r in current_imports() if not source or r.source == source]
    answers = []
    for run in runs:
        rows = RegisterCount.objects.filter(run=run, territory_id=territory_id)
        if code_prefix:
            rows = rows.filter(naf__startswith=code_prefix)
        codes: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        for code, nomenclature, legal_form, ess, year, c, f, r, s in rows.order_by(
            "naf", "legal_form", "ess", "year"
        ).values_list(
            "naf", "nomenclature", "legal_form", "ess", "year",
            "creations", "closures", "reopenings", "stock",
        ):  # fmt: skip
            key = (code, nomenclature, legal_form, ess)
            if key not in codes:
                rule = classifier.match(code, nomenclature, legal_form, ess) if code else None
                codes[key] = {
                    "code": code,
                    "nomenclature": nomenclature,
                    "legal_form": legal_form,
                    "ess": ess,
                    "category": rule.category if rule else None,
                    "rule": rule.describe() if rule else None,
                    "years": {},
                }
            codes[key]["years"][str(year)] = {
                "creations": c, "closures": f, "reopenings": r, "stock": s,
            }  # fmt: skip
        if codes:
            answers.append(
                {
                    "source": run.source,
                    "vintage": run.vintage.isoformat(),
                    "codes": list(codes.values()),
                }
            )
    return {
        "territory": territory_id,
        "available": bool(answers),
        "message": None if answers else _(NO_DATA),
        "sources": answers,
    }


def import_list() -> list[dict[str, Any]]:
    from .services import summary_of

    return [
        {**summary_of(run), "current": run.current, "label": run.label, "licence": run.licence}
        for run in RegisterImport.objects.order_by("-imported_at", "-id")
    ]
