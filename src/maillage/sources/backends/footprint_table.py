"""A table of footprint figures (`maillage import footprint`): one figure per row, for the
figures an authority obtains — trips of the carpool proof register, a platform's own local
statistics, tourist tax collected.

Columns (names compared without accents, case or spaces; French or English): `plateforme`
(platform), `territoire` (territory: `com:69123`, `epci:…`, `dep:35`, `reg:53`, `fr`, or an
INSEE code), `indicateur` (metric), `date`, `valeur` (value); optional `unite` (unit),
`source`, `categorie` (typology code of the platform's kind). CSV or XLSX (first sheet).
"""

import datetime
import hashlib
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from maillage.catalog.footprint_metrics import platform_kind, platform_name
from maillage.catalog.services import FootprintFigure
from maillage.territories.text import normalize

from ..errors import SourceFileError
from ..records import RawRow
from .footprint_base import FootprintBackend, FootprintRow
from .plain_tables import RESERVED_KEYS, broken_row, plain_reader

COLUMNS = {
    "platform": ("plateforme", "platform"),
    "territory": (
        "territoire", "territory", "territory id", "id territoire", "code insee", "insee",
        "codgeo", "code commune", "code",
    ),
    "metric": ("indicateur", "metric", "mesure", "measure"),
    "date": ("date", "periode", "period"),
    "value": ("valeur", "value"),
    "unit": ("unite", "unit"),
    "source": ("source",),
    "category": ("categorie", "category", "type de plateforme"),
}  # fmt: skip
REQUIRED = ("platform", "territory", "metric", "date", "value")
MAX_KEY = 200

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_FRENCH = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")
_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_SPACES = re.compile(r"[\s\u00a0\u202f']")


class RowProblem(Exception):
    """Why a row is rejected (French)."""


def parse_value(text: str) -> tuple[float, str]:
    """« 12 345,6 », « 12345.6 », « 4,5 % » → (value, unit found in the cell)."""
    cleaned = _SPACES.sub("", text)
    unit = ""
    if cleaned.endswith("%"):
        cleaned, unit = cleaned[:-1], "%"
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    elif "," in cleaned and "." in cleaned:  # 1,234.5
        cleaned = cleaned.replace(",", "")
    try:
        value = float(cleaned)
    except ValueError:
        raise RowProblem(_("valeur non numérique : « %(value)s »") % {"value": text[:60]}) from None
    if not math.isfinite(value):
        raise RowProblem(_("valeur non numérique : « %(value)s »") % {"value": text[:60]})
    if value < 0:
        raise RowProblem(
            _("valeur négative : « %(value)s » (une empreinte se compte en nombres positifs)")
            % {"value": text[:60]}
        )
    return value, unit


def parse_date(text: str, today: datetime.date) -> tuple[datetime.date, str]:
    """ISO, French (JJ/MM/AAAA), a month (AAAA-MM) or a year: (date, note)."""
    text = text.strip()
    note = ""
    parts: tuple[str, ...] | None = None
    if match := _ISO.match(text):
        parts = match.groups()
    elif match := _FRENCH.match(text):
        day, month, year = match.groups()
        parts = (year, month, day)
    elif match := _MONTH.match(text):
        parts = (*match.groups(), "1")
        note = _("mois seul « %(text)s » : daté du premier jour du mois") % {"text": text}
    elif match := _YEAR.match(text):
        parts = (match.group(1), "1", "1")
        note = _("année seule « %(text)s » : datée du 1er janvier (début de la période)") % {
            "text": text
        }
    if parts is None:
        raise RowProblem(
            _("date illisible : « %(text)s » (formes attendues : 2024-03-23, 23/03/2024, 2024)")
            % {"text": text[:60]}
        )
    try:
        date = datetime.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise RowProblem(_("date impossible : « %(text)s »") % {"text": text[:60]}) from None
    if date > today or date.year < 1990:
        raise RowProblem(
            _("date impossible : « %(text)s » (dans le futur ou avant 1990)") % {"text": text[:60]}
        )
    return date, note


class FootprintTableBackend(FootprintBackend):
    name = "footprint"
    label = "Tableau d'empreinte des plateformes (CSV ou XLSX)"
    checks_cells = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.columns: dict[str, str] = {}
        self.keys: dict[tuple[str, str, str, datetime.date], tuple[int, float]] = {}
        self.accepted: list[FootprintFigure] = []
        self._pending: list[tuple[FootprintRow, FootprintFigure]] = []
        self.today = timezone.localdate()
        unknown = sorted(set(self.options.mapping) - {"columns"})
        if unknown:
            raise SourceFileError(
                _("correspondance : clé(s) inconnue(s) %(keys)s (attendue : columns)")
                % {"keys": ", ".join(unknown)}
            )
        given = self.options.mapping.get("columns") or {}
        if not isinstance(given, dict) or not all(
            isinstance(k, str) and k in COLUMNS and isinstance(v, str) for k, v in given.items()
        ):
            raise SourceFileError(
                _(
                    "correspondance : « columns » associe des champs (%(fields)s) à des noms de "
                    "colonnes"
                )
                % {"fields": ", ".join(COLUMNS)}
            )
        self.given_columns: dict[str, str] = dict(given)

    def rows(self, path: Path) -> Iterator[RawRow]:
        reader = plain_reader(path)
        rows = reader.rows(path)
        first = next(rows, None)
        self.notes = list(reader.notes)
        header = [h for h in reader.header if h not in RESERVED_KEYS]
        by_key = {normalize(h): h for h in reversed(header)}
        for field, names in COLUMNS.items():
            given = self.given_columns.get(field)
            if given is not None:
                found = given if given in header else by_key.get(normalize(given))
                if found is None:
                    raise SourceFileError(
                        _(
                            "%(file)s : colonne « %(column)s » absente (colonnes présentes : %(present)s)"
                        )
                        % {"file": path.name, "column": given, "present": ", ".join(header[:30])}
                    )
            else:
                found = next((by_key[n] for n in names if n in by_key), None)
            if found is not None:
                self.columns[field] = found
        missing = [COLUMNS[f][0] for f in REQUIRED if f not in self.columns]
        if missing:
            raise SourceFileError(
                _(
                    "%(file)s : colonne(s) absente(s) %(missing)s ; colonnes présentes : "
                    "%(present)s (attendues : plateforme, territoire, indicateur, date, valeur, "
                    "et au choix unite, source, categorie)"
                )
                % {
                    "file": path.name,
                    "missing": ", ".join(f"« {c} »" for c in missing),
                    "present": ", ".join(header[:30]) or "—",
                }
            )
        if first is not None:
            yield first
            yield from rows

    def _cell(self, data: dict[str, Any], field: str) -> str:
        column = self.columns.get(field)
        value = data.get(column) if column else None
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip()

    @property
    def effective_mapping(self) -> dict[str, Any] | None:
        return {"columns": dict(self.columns)} if self.columns else None

    def read(self, rows: list[RawRow]) -> list[FootprintRow]:
        read = [self._read(row) for row in rows]
        # A figure another source (or a person) gave is never replaced by this one.
        owners = self.ctx.owners([figure.key for _row, figure in self._pending])
        for row, figure in self._pending:
            owner = owners.get(figure.key)
            if owner is not None and owner != self.origin:
                row.rejected = True
                row.key = ""
                row.reasons.append(
                    _(
                        "valeur déjà donnée par une autre source (« %(owner)s ») pour cette "
                        "plateforme, ce territoire, cet indicateur et cette date : gardée, "
                        "non remplacée"
                    )
                    % {"owner": owner or _("saisie à la main")}
                )
                self.accepted.remove(figure)
                del self.keys[figure.key]
        self._pending = []
        return read

    def _read(self, row: RawRow) -> FootprintRow:
        result = FootprintRow(row=row, kept=row.data)
        try:
            figure, notes = self._figure(row.data)
        except RowProblem as problem:
            result.rejected = True
            result.reasons.append(str(problem))
            return result
        result.reasons.extend(notes)
        earlier = self.keys.get(figure.key)
        if earlier is not None:
            first_row, value = earlier
            result.rejected = True
            if value == figure.value:
                result.skipped = True
                result.reasons.append(
                    _(
                        "ligne répétée : même plateforme, territoire, indicateur, date et valeur que la ligne %(row)s"
                    )
                    % {"row": first_row}
                )
            else:
                result.reasons.append(
                    _(
                        "valeur contradictoire avec la ligne %(row)s (même plateforme, territoire, indicateur et date)"
                    )
                    % {"row": first_row}
                )
            return result
        self.keys[figure.key] = (row.number, figure.value)
        self.accepted.append(figure)
        self._pending.append((result, figure))
        key = "|".join(
            [figure.platform, figure.territory_id, figure.metric, figure.date.isoformat()]
        )
        if len(key) > MAX_KEY:
            key = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()
        result.key = key
        result.category = figure.category_id or ""
        result.commune_id = figure.territory_id if figure.territory_id.startswith("com:") else ""
        result.state = {
            "value": figure.value,
            "unit": figure.unit,
            "source": figure.source_name,
            "category": figure.category_id,
        }
        return result

    def _figure(self, data: dict[str, Any]) -> tuple[FootprintFigure, list[str]]:
        if problem := broken_row(data):
            raise RowProblem(problem)
        notes: list[str] = []
        platform = platform_name(self._cell(data, "platform"))
        if not platform:
            raise RowProblem(_("plateforme absente"))
        if len(platform) > 100:
            raise RowProblem(_("nom de plateforme trop long (100 caractères au plus)"))
        territory_id = self._territory(self._cell(data, "territory"), notes)
        metric_text = self._cell(data, "metric")
        metric = slugify(metric_text)[:80]
        if not metric:
            raise RowProblem(
                _("indicateur absent ou illisible : « %(text)s »") % {"text": metric_text[:60]}
            )
        if metric != metric_text:
            notes.append(
                _("indicateur « %(text)s » écrit « %(code)s »")
                % {"text": metric_text[:60], "code": metric}
            )
        date, note = parse_date(self._cell(data, "date"), self.today)
        if note:
            notes.append(note)
        value_text = self._cell(data, "value")
        if not value_text:
            raise RowProblem(_("valeur absente"))
        value, unit_in_cell = parse_value(value_text)
        unit = self._cell(data, "unit")[:40] or unit_in_cell
        category = self._cell(data, "category")
        if category and not self.ctx.category_exists(category):
            notes.append(
                _("catégorie inconnue « %(code)s » : ignorée (voir /typologie/)")
                % {"code": category[:60]}
            )
            category = ""
        category = category or platform_kind(platform) or ""
        if category and not self.ctx.category_exists(category):
            category = ""
        source = self._cell(data, "source")[:200] or self.source_name
        return (
            FootprintFigure(
                platform=platform,
                territory_id=territory_id,
                metric=metric,
                date=date,
                value=value,
                unit=unit,
                category_id=category or None,
                source_name=source,
                source_licence=self.source_licence,
            ),
            notes,
        )

    def _territory(self, text: str, notes: list[str]) -> str:
        if not text:
            raise RowProblem(_("territoire absent"))
        candidate = text.strip()
        if _INSEE.match(candidate.upper()):
            candidate = f"com:{candidate.upper()}"
        resolution = self.ctx.resolve(candidate)
        if resolution.territory_id is None:
            raise RowProblem(
                resolution.note
                or _(
                    "territoire inconnu : « %(text)s » (formes attendues : com:69123 ou 69123, "
                    "epci:200046977, dep:35, reg:53, fr)"
                )
                % {"text": text[:60]}
            )
        if resolution.note:
            notes.append(resolution.note)
        return resolution.territory_id

    def figures(self) -> list[FootprintFigure]:
        return list(self.accepted)
