"""Reading Overpass JSON and OSM XML into element dicts, and placing each element."""

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from shapely.geometry import LineString, MultiPoint, Point, Polygon

from ...errors import SourceFileError
from ...limits import import_limits
from .._common import check_file_size

ELEMENT_TYPES = ("node", "way", "relation")


def sniff(path: Path) -> str:
    """ "json" or "xml"; SourceFileError for anything else."""
    check_file_size(path, import_limits().whole_file_bytes)  # parsed whole, in memory
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise SourceFileError(
            _("Impossible de lire le fichier : %(error)s.") % {"error": exc.strerror}
        ) from exc
    if head.startswith(b"\x1f\x8b"):
        raise SourceFileError(_("Le fichier est compressé (gzip) : décompressez-le d'abord."))
    if b"OSMHeader" in head[:64]:
        raise SourceFileError(
            _(
                "Le fichier est au format OSM PBF (binaire) : seuls l'Overpass JSON et l'OSM XML "
                "sont lus ; convertissez-le en XML (par exemple avec osmium)."
            )
        )
    if b"\x00" in head:
        raise SourceFileError(_("Le fichier est binaire : ni de l'Overpass JSON ni de l'OSM XML."))
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if not text:
        raise SourceFileError(_("Le fichier est vide."))
    lowered = text[:1024].lower()
    if lowered.startswith(("<!doctype html", "<html")) or "<html" in lowered:
        raise SourceFileError(
            _("Le fichier est une page HTML (page d'erreur du serveur ?), pas des données OSM.")
        )
    if text[0] in "{[":
        return "json"
    if text[0] == "<":
        return "xml"
    raise SourceFileError(_("Le fichier n'est ni de l'Overpass JSON ni de l'OSM XML."))


def _check_remark(remark: object) -> None:
    """Overpass reports a timeout or a memory error in `remark`, with partial results."""
    if isinstance(remark, str) and "error" in remark.lower():
        raise SourceFileError(
            _("La réponse Overpass est incomplète (erreur du serveur : « %(remark)s »).")
            % {"remark": remark.strip()}
        )


def read_json(path: Path) -> Iterator[dict[str, Any]]:
    try:
        document = json.loads(path.read_bytes().decode("utf-8-sig"))
    except RecursionError as exc:
        raise SourceFileError(_("Le JSON imbrique trop de listes ou d'objets.")) from exc
    except UnicodeDecodeError as exc:
        raise SourceFileError(_("Le fichier JSON n'est pas encodé en UTF-8.")) from exc
    except json.JSONDecodeError as exc:
        raise SourceFileError(
            _("JSON invalide ou tronqué (ligne %(line)s, colonne %(column)s).")
            % {"line": exc.lineno, "column": exc.colno}
        ) from exc
    if isinstance(document, dict) and document.get("type") == "FeatureCollection":
        raise SourceFileError(
            _(
                "Le fichier est du GeoJSON, pas une réponse Overpass : importez-le avec le "
                "module geojson."
            )
        )
    if not isinstance(document, dict) or not isinstance(document.get("elements"), list):
        raise SourceFileError(
            _("Ce JSON n'est pas une réponse de l'API Overpass : la liste « elements » manque.")
        )
    _check_remark(document.get("remark"))
    for element in document["elements"]:
        yield element if isinstance(element, dict) else {"valeur": element}


def read_xml(path: Path) -> Iterator[dict[str, Any]]:
    """Stream <osm>: one dict per node / way / relation, in file order."""
    depth = 0
    root: ET.Element | None = None
    current: dict[str, Any] | None = None
    member: dict[str, Any] | None = None
    try:
        for event, elem in ET.iterparse(path, events=("start", "end")):
            if event == "start":
                depth += 1
                if depth == 1:
                    root = elem
                    if elem.tag != "osm":
                        if elem.tag.lower() == "html":
                            raise SourceFileError(
                                _(
                                    "Le fichier est une page HTML (page d'erreur du serveur ?), "
                                    "pas des données OSM."
                                )
                            )
                        raise SourceFileError(
                            _(
                                "Ce XML n'est pas un fichier OSM : sa racine est <%(tag)s> au lieu de <osm>."
                            )
                            % {"tag": elem.tag}
                        )
                elif depth == 2 and elem.tag in ELEMENT_TYPES:
                    current = _xml_element_start(elem)
                elif depth == 3 and current is not None:
                    member = _xml_child(current, elem)
                elif depth == 4 and member is not None and elem.tag == "nd":
                    point = _xml_point(elem)
                    if point is not None:
                        member.setdefault("geometry", []).append(point)
                continue
            depth -= 1
            if depth == 1:
                if elem.tag == "remark":
                    _check_remark(elem.text or "")
                if current is not None and elem.tag in ELEMENT_TYPES:
                    yield current
                current = None
                elem.clear()
                if root is not None:
                    root.clear()  # drop the references the root keeps to read children
            elif depth == 2:
                member = None
    except ET.ParseError as exc:
        line, column = exc.position
        raise SourceFileError(
            _("XML invalide ou tronqué (ligne %(line)s, colonne %(column)s).")
            % {"line": line, "column": column}
        ) from exc
    if root is None:
        raise SourceFileError(_("Le fichier XML est vide."))


def _xml_element_start(elem: ET.Element) -> dict[str, Any]:
    element: dict[str, Any] = {"type": elem.tag}
    for key, value in elem.attrib.items():
        if key in ("user", "uid"):
            continue
        if key == "id":
            element["id"] = _int_or_text(value)
        elif key in ("lat", "lon"):
            element[key] = _float_or_text(value)
        else:
            element[key] = value
    return element


def _xml_child(element: dict[str, Any], child: ET.Element) -> dict[str, Any] | None:
    """Fill `element` from one child; returns the member dict for <member> children."""
    attrib = child.attrib
    if child.tag == "tag" and "k" in attrib:
        element.setdefault("tags", {})[attrib["k"]] = attrib.get("v", "")
    elif child.tag == "nd":
        if "ref" in attrib:
            element.setdefault("nodes", []).append(_int_or_text(attrib["ref"]))
        point = _xml_point(child)
        if point is not None:  # Overpass "out geom"
            element.setdefault("geometry", []).append(point)
    elif child.tag == "center":
        point = _xml_point(child)
        if point is not None:
            element["center"] = point
    elif child.tag == "bounds":
        element["bounds"] = {k: _float_or_text(v) for k, v in attrib.items()}
    elif child.tag == "member":
        member: dict[str, Any] = {
            "type": attrib.get("type", ""),
            "ref": _int_or_text(attrib.get("ref", "")),
            "role": attrib.get("role", ""),
        }
        point = _xml_point(child)
        if point is not None:
            member.update(point)
        element.setdefault("members", []).append(member)
        return member
    return None


def _xml_point(elem: ET.Element) -> dict[str, Any] | None:
    if "lat" in elem.attrib and "lon" in elem.attrib:
        return {
            "lat": _float_or_text(elem.attrib["lat"]),
            "lon": _float_or_text(elem.attrib["lon"]),
        }
    return None


def _int_or_text(value: str) -> int | str:
    try:
        return int(value)
    except ValueError:
        return value


def _float_or_text(value: str) -> float | str:
    try:
        return float(value)
    except ValueError:
        return value


# --- geometry --------------------------------------------------------------------------

LonLat = tuple[float, float]


def _lonlat(point: object) -> LonLat | None:
    if not isinstance(point, dict):
        return None
    lat, lon = point.get("lat"), point.get("lon")
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        return float(lon), float(lat)
    return None


def representative_point(points: list[LonLat]) -> LonLat | None:
    """A point of the object: the centroid of a closed ring when it lies inside (else a
    point surely inside), the middle of an open line, the point itself."""
    distinct = list(dict.fromkeys(points))
    if not distinct:
        return None
    if len(distinct) == 1:
        return distinct[0]
    if len(points) >= 4 and points[0] == points[-1] and len(distinct) >= 3:
        polygon = Polygon(points)
        if polygon.is_valid and polygon.area > 0:
            centroid = polygon.centroid
            inside = centroid if polygon.contains(centroid) else polygon.representative_point()
            return _rounded(inside)
    line = LineString(points)
    if line.length > 0:
        return _rounded(line.interpolate(0.5, normalized=True))
    return _rounded(MultiPoint(distinct).centroid)


def _rounded(point: Point) -> LonLat:
    return round(point.x, 7), round(point.y, 7)  # OSM's own precision


def _centroid(points: list[LonLat]) -> LonLat | None:
    if not points:
        return None
    if len(points) == 1:
        return points[0]
    return _rounded(MultiPoint(points).centroid)


class Resolver:
    """Points of the elements already read, to place ways and relations that refer to them."""

    def __init__(self) -> None:
        self.nodes: dict[int | str, LonLat] = {}
        self.ways: dict[int | str, LonLat] = {}

    def remember(self, element: dict[str, Any]) -> None:
        kind, ref = element.get("type"), element.get("id")
        if ref is None or isinstance(ref, dict | list):
            return
        if kind == "node":
            point = _lonlat(element)
            if point is not None:
                self.nodes[ref] = point
        elif kind == "way":
            resolved = element_point(element)
            if resolved is not None:
                self.ways[ref] = resolved[0]

    def resolve(self, element: dict[str, Any]) -> None:
        """Add `resolved_geometry` / `resolved_members` when the element needs them."""
        if element.get("center") or element.get("geometry"):
            return
        if element.get("type") == "way" and isinstance(element.get("nodes"), list):
            found = [self.nodes[ref] for ref in element["nodes"] if ref in self.nodes]
            if found:
                element["resolved_geometry"] = [{"lat": lat, "lon": lon} for lon, lat in found]
        elif element.get("type") == "relation" and isinstance(element.get("members"), list):
            resolved = []
            for member in element["members"]:
                if not isinstance(member, dict) or _member_point(member) is not None:
                    continue
                index = self.nodes if member.get("type") == "node" else self.ways
                ref = member.get("ref")
                point = index.get(ref) if isinstance(ref, int | str) else None
                if point is not None:
                    resolved.append(
                        {
                            "type": member.get("type"),
                            "ref": member.get("ref"),
                            "role": member.get("role", ""),
                            "lat": point[1],
                            "lon": point[0],
                        }
                    )
            if resolved:
                element["resolved_members"] = resolved


def _member_point(member: dict[str, Any]) -> LonLat | None:
    if member.get("geometry"):
        points = [p for p in map(_lonlat, member["geometry"]) if p is not None]
        return representative_point(points)
    return _lonlat(member)


def element_point(element: dict[str, Any]) -> tuple[LonLat, str] | None:
    """(lon, lat) of an element and a note when it is only approximate."""
    if element.get("type") == "node":
        point = _lonlat(element)
        return (point, "") if point else None
    center = _lonlat(element.get("center"))
    if center is not None:
        return center, ""
    for key in ("geometry", "resolved_geometry"):
        if element.get(key) and element.get("type") == "way":
            points = [p for p in map(_lonlat, element[key]) if p is not None]
            point = representative_point(points)
            if point is not None:
                return point, ""
    if element.get("type") == "relation":
        members = [
            m
            for m in [*element.get("members", []), *element.get("resolved_members", [])]
            if isinstance(m, dict)
        ]
        if any(m.get("role") == "outer" for m in members):
            members = [m for m in members if m.get("role") == "outer"]
        points = [p for p in map(_member_point, members) if p is not None]
        point = _centroid(points)
        if point is not None:
            return point, ""
    bounds = element.get("bounds")
    if isinstance(bounds, dict):
        keys = ("minlat", "minlon", "maxlat", "maxlon")
        values = [float(v) for k in keys if isinstance(v := bounds.get(k), int | float)]
        if len(values) == len(keys):
            minlat, minlon, maxlat, maxlon = values
            return (
                (round((minlon + maxlon) / 2, 7), round((minlat + maxlat) / 2, 7)),
                "point approché : centre du rectangle englobant de l'objet OSM",
            )
    return None


def no_point_reason(element: dict[str, Any]) -> str:
    """Why an element cannot be placed, as « kind : detail »."""
    kind = element.get("type")
    if kind == "node":
        return _("nœud OSM sans position : lat/lon absents")
    if kind == "way":
        if element.get("nodes"):
            return _(
                "chemin OSM impossible à placer : aucun de ses nœuds n'est dans le fichier "
                "(demandez « out center » ou « out geom » à Overpass)"
            )
        return _(
            "chemin OSM impossible à placer : ni centre ni géométrie "
            "(demandez « out center » à Overpass)"
        )
    return _(
        "relation OSM impossible à placer : ni centre, ni membre présent dans le fichier "
        "(demandez « out center » à Overpass)"
    )
