"""Small helpers shared by the bnlc, tiers-lieux, geojson and bookcases backends.

Each helper cleans one kind of value and says what it fixed or doubted as a French note that
reads « kind : detail » (the job summary counts notes by kind), so that a backend stays a list
of "column → field" lines.
"""

import csv
import datetime
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from shapely.geometry import shape

from maillage.catalog.typology import read_typology
from maillage.core.i18n import gettext as _  # per row: see core/i18n.py

from ..errors import SourceFileError
from ..limits import bound_cells, import_limits, oversize_reason
from ..limits import number as spaced
from .sniff import BAD_BOM, EMPTY, GZIP, HTML, XML, Sniffed, sniff
from .tabular_detect import allow_long_fields

_POSTCODE = re.compile(r"^\d{5}$")
_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE)
_DOMAIN = re.compile(r"^[\w.-]+\.[a-z]{2,}(/\S*)?$", re.IGNORECASE)
# Up to the first character a URL cannot hold as is: the CGET census has wiki-link leftovers
# such as « http://fablab-vignes.org|fablab-vignes.org]] ».
_URL = re.compile(r"https?://[^\s|\[\]<>\"{}\\^`]+", re.IGNORECASE)


# --- files -------------------------------------------------------------------------------


def check_file_size(path: Path, limit: int) -> None:
    """SourceFileError when the file is larger than `limit` bytes."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SourceFileError(
            _("Fichier illisible : %(file)s (%(error)s).")
            % {"file": path.name, "error": exc.strerror}
        ) from exc
    if size > limit:
        raise SourceFileError(
            _(
                "Le fichier %(file)s fait %(size)s octets : c'est plus que la taille maximale "
                "de ce format (%(limit)s octets, MAILLAGE_IMPORT_MAX_FILE_BYTES)."
            )
            % {"file": path.name, "size": spaced(size), "limit": spaced(limit)}
        )


def _checked(path: Path, line_limit: int | None = None) -> Sniffed:
    """The file, sniffed (see sniff.py), after refusing an empty file, a compressed one, an
    HTML/XML page (a portal's error page saved under the data file's name), a file that is
    not text or, with `line_limit`, a line longer than that many bytes."""
    try:
        sniffed = sniff(path, line_limit)
    except OSError as exc:
        raise SourceFileError(
            _("Fichier illisible : %(file)s (%(error)s).")
            % {"file": path.name, "error": exc.strerror}
        ) from exc
    problem = sniffed.problem
    if problem is None and sniffed.long_line >= 0:
        raise SourceFileError(
            _(
                "Le fichier %(file)s a une ligne de plus de %(size)s octets : ce n'est pas un "
                "tableau CSV (guillemet jamais fermé ?)."
            )
            % {"file": path.name, "size": spaced(line_limit or 0)}
        )
    if problem is None:
        return sniffed
    if problem == EMPTY:
        raise SourceFileError(_("Le fichier %(file)s est vide.") % {"file": path.name})
    if problem == GZIP:
        raise SourceFileError(
            _("Le fichier %(file)s est compressé (gzip) : décompressez-le d'abord.")
            % {"file": path.name}
        )
    if problem in (HTML, XML):
        raise SourceFileError(
            _(
                "Le fichier %(file)s est une page HTML ou XML, pas un fichier de données "
                "(page d'erreur d'un portail enregistrée à la place du fichier ?)."
            )
            % {"file": path.name}
        )
    if problem == BAD_BOM:
        raise SourceFileError(
            _("Le fichier %(file)s annonce de l'UTF-8 (BOM) mais contient des octets invalides.")
            % {"file": path.name}
        )
    raise SourceFileError(
        _("Le fichier %(file)s est binaire, pas un fichier texte.") % {"file": path.name}
    )


def check_not_html_or_binary(path: Path) -> bytes:
    """The first bytes of the file, once it proved to be a text file (see _checked)."""
    return _checked(path).head


def detect_text_encoding(path: Path) -> str:
    """The codec of a text file (see sniff.py), which also drops a byte order mark."""
    return _checked(path).encoding


def read_csv(
    path: Path, required: list[str], label: str, delimiter: str = ","
) -> Iterator[dict[str, str]]:
    """Stream a comma-separated (or `delimiter`-separated) file as dicts, after checking that
    the header holds every `required` column. `label` names the dataset in the error
    messages."""
    limits = import_limits()
    check_file_size(path, limits.file_bytes)
    encoding = _checked(path, limits.line_bytes).encoding
    allow_long_fields(limits)
    with path.open(encoding=encoding, newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        try:
            header = [name.strip() for name in reader.fieldnames or []]
        except csv.Error as exc:
            raise SourceFileError(
                _("Le fichier %(file)s est mal formé (ligne %(line)s) : %(error)s.")
                % {"file": path.name, "line": reader.line_num, "error": exc}
            ) from exc
        missing = [name for name in required if name not in header]
        if missing:
            raise SourceFileError(
                _(
                    "Le fichier %(file)s n'est pas au format %(format)s : colonne(s) "
                    "obligatoire(s) absente(s) : %(columns)s."
                )
                % {"file": path.name, "format": label, "columns": ", ".join(missing)}
            )
        reader.fieldnames = header
        try:
            for row in reader:
                if None in row:  # more cells than header columns
                    row.pop(None)
                cells = {key: (value or "") for key, value in row.items()}
                if reason := oversize_reason(list(cells), list(cells.values()), limits):
                    cells = bound_cells(cells, reason, limits)
                yield cells
        except csv.Error as exc:
            raise SourceFileError(
                _("Le fichier %(file)s est mal formé (ligne %(line)s) : %(error)s.")
                % {"file": path.name, "line": reader.line_num, "error": exc}
            ) from exc


def csv_header(path: Path, delimiter: str = ",") -> list[str]:
    """Column names of a CSV file (empty list when there is no header line); refuses HTML and
    binary files first."""
    limits = import_limits()
    encoding = _checked(path, limits.line_bytes).encoding
    allow_long_fields(limits)
    with path.open(encoding=encoding, newline="") as handle:
        try:
            first = next(csv.reader(handle, delimiter=delimiter), [])
        except csv.Error as exc:
            raise SourceFileError(
                _("Le fichier %(file)s est mal formé (ligne 1) : %(error)s.")
                % {"file": path.name, "error": exc}
            ) from exc
    return [name.strip() for name in first]


def load_features(path: Path) -> list[dict[str, Any]]:
    """The features of a GeoJSON FeatureCollection, loaded whole (10,000 features ≈ 5 MB)."""
    check_file_size(path, import_limits().whole_file_bytes)  # parsed whole, in memory
    check_not_html_or_binary(path)
    try:
        with path.open("rb") as handle:
            data = json.load(handle)
    except RecursionError as exc:
        raise SourceFileError(
            _("Le fichier %(file)s imbrique trop de listes ou d'objets JSON.") % {"file": path.name}
        ) from exc
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, an int too long
        raise SourceFileError(
            _(
                "Le fichier %(file)s n'est pas du JSON valide (tronqué ou d'un autre format ?) "
                ": %(error)s."
            )
            % {"file": path.name, "error": exc}
        ) from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise SourceFileError(
            _(
                "Le fichier %(file)s est du JSON mais pas une FeatureCollection GeoJSON "
                '(attendu : {"type": "FeatureCollection", "features": [...]}).'
            )
            % {"file": path.name}
        )
    features = data.get("features")
    if not isinstance(features, list):
        raise SourceFileError(
            _("La FeatureCollection de %(file)s n'a pas de liste « features ».")
            % {"file": path.name}
        )
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise SourceFileError(
                _("L'élément n° %(number)s de %(file)s n'est pas une Feature GeoJSON.")
                % {"number": number, "file": path.name}
            )
    return features


def feature_properties(feature: dict[str, Any]) -> dict[str, Any]:
    properties = feature.get("properties")
    return properties if isinstance(properties, dict) else {}


def is_feature(data: dict[str, Any]) -> bool:
    """A raw row kept as a whole GeoJSON Feature (rather than a CSV row)."""
    return data.get("type") == "Feature" and "geometry" in data


# --- geometry ----------------------------------------------------------------------------


def representative_point(geometry: Any) -> tuple[float | None, float | None, list[str]]:
    """(lon, lat, notes) of a GeoJSON geometry. A Point is kept as is; a surface (Polygon,
    MultiPolygon) becomes a point inside it and a line a point on it (shapely's
    `point_on_surface`, never the centroid, which can fall outside a C-shaped park)."""
    if not geometry:
        return None, None, [_("pas de géométrie")]
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind == "Point":
        coordinates = geometry.get("coordinates")
        if (
            isinstance(coordinates, list | tuple)
            and len(coordinates) >= 2
            and all(isinstance(c, int | float) for c in coordinates[:2])
        ):
            return float(coordinates[0]), float(coordinates[1]), []
        return None, None, [_("géométrie illisible : Point sans coordonnées")]
    try:
        shp = shape(geometry)
        if shp.is_empty:
            return None, None, [_("géométrie vide : %(kind)s") % {"kind": kind}]
        point = shp.point_on_surface()
    except Exception:  # shapely raises several types for malformed geometries
        return None, None, [_("géométrie illisible : %(kind)s") % {"kind": kind}]
    if kind in ("Polygon", "MultiPolygon"):
        note = _("géométrie surfacique réduite à un point intérieur")
    elif kind in ("LineString", "MultiLineString"):
        note = _("géométrie linéaire réduite à un point de la ligne")
    else:
        note = _("géométrie réduite à un point : %(kind)s") % {"kind": kind}
    return float(point.x), float(point.y), [note]


# --- values ------------------------------------------------------------------------------


def text(value: Any) -> str:
    """A one-line string: None → "", inner runs of spaces and line breaks → one space."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return " ".join(str(value).split())


def remote_id(value: Any) -> str | None:
    cleaned = text(value)
    return cleaned or None


def clean_postcode(value: Any) -> tuple[str, list[str]]:
    """A five-digit French postcode, or "" with a note when the value is something else."""
    cleaned = text(value)
    if not cleaned or cleaned == "0":
        return "", []
    if _POSTCODE.match(cleaned):
        return cleaned, []
    return "", [_("code postal illisible : « %(value)s », ignoré") % {"value": cleaned}]


def clean_insee(value: Any) -> tuple[str, list[str]]:
    """An INSEE commune code as declared: "0" or "" → "" (none given); a four-digit code that
    lost its leading zero in a spreadsheet is padded, with a note."""
    cleaned = text(value).upper()
    if cleaned in ("", "0"):
        return "", []
    if _INSEE.match(cleaned):
        return cleaned, []
    if cleaned.isdigit() and len(cleaned) == 4:
        return "0" + cleaned, [
            _("code INSEE complété : « %(value)s » → « 0%(value)s »") % {"value": cleaned}
        ]
    return "", [_("code INSEE illisible : « %(value)s », ignoré") % {"value": cleaned}]


def clean_website(value: Any) -> tuple[str, list[str]]:
    """An http(s) URL; `https://` is added when the scheme is missing and the first URL is
    taken out of a sentence ("Innovation studio http://…"). Anything else (an e-mail address,
    "en cours", a person's name) is dropped with a note that does not repeat the value, which
    may be personal data."""
    cleaned = text(value)
    if not cleaned:
        return "", []
    if _DOMAIN.match(cleaned) and "@" not in cleaned:
        return "https://" + cleaned, []
    found = _URL.search(cleaned)
    if found:
        url = found.group(0)
        if url == cleaned:
            return url, []
        return url, [_("site web extrait : première adresse du texte")]
    return "", [_("site web illisible : valeur ignorée")]


def clean_email(value: Any) -> tuple[str, list[str]]:
    """An e-mail address with any line break or space inside removed (exports cut long
    values); the first one when there are several; "" with a note when none is readable."""
    if value is None:
        return "", []
    original = str(value).strip()
    joined = "".join(original.split())
    if not joined:
        return "", []
    if _EMAIL.fullmatch(joined):
        if joined == original:
            return joined, []
        return joined, [_("e-mail corrigé : espaces et sauts de ligne retirés")]
    found = _EMAIL.search(original)
    if found:
        return found.group(0), [_("e-mail multiple : la première adresse est gardée")]
    return "", [_("e-mail illisible : valeur ignorée")]


def parse_date(value: Any, field: str) -> tuple[datetime.date | None, list[str]]:
    """An ISO date (`2023-11-06`, or a timestamp `2024-01-22 09:30:02` whose date is kept).
    Impossible dates in the future are left for the engine to flag; an unreadable value
    becomes a note, never an error."""
    cleaned = text(value)
    if not cleaned:
        return None, []
    try:
        return datetime.date.fromisoformat(cleaned[:10]), []
    except ValueError:
        return None, [
            _("date illisible : %(field)s « %(value)s » n'est pas au format AAAA-MM-JJ")
            % {"field": field, "value": cleaned}
        ]


def parse_bool(value: Any) -> bool | None:
    cleaned = text(value).lower()
    if cleaned in ("true", "vrai", "oui", "1", "yes", "t"):
        return True
    if cleaned in ("false", "faux", "non", "0", "no", "f"):
        return False
    return None


def parse_int(value: Any) -> int | None:
    cleaned = text(value)
    return int(cleaned) if cleaned.isdigit() else None


@cache
def typology_codes() -> frozenset[str]:
    """Category codes of the typology (read from its file, without the database: backends
    parse files in a process that has none)."""
    families = read_typology()["families"]
    return frozenset(c["code"] for family in families for c in family["categories"])


@cache
def attribute_codes(name: str) -> frozenset[str]:
    """Codes of one attribute of the typology: exchange_modes, counterpart, carrier, status."""
    return frozenset(value["code"] for value in read_typology()["attributes"][name]["values"])


def forced_category(category: str) -> tuple[str, str]:
    """(code, rule) for `--category`, which sets every row of a single-practice file. An
    unknown code is left for the engine to report (« à classer »)."""
    return category, _("catégorie imposée à l'import (--category %(code)s)") % {"code": category}
