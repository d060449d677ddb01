"""SIRENE files read into creations, closures, reopenings and stock per commune, year and code.

Two layouts are read, told apart by their header:

- **periods** (`StockEtablissementHistorique` joined with the establishment's commune, as in
  the Lyon 4e file): one row per period during which an establishment's state and activity
  were stable. Columns `siret`, `dateDebut`, `dateFin`, the state (`etat` or
  `etatAdministratifEtablissement`), the activity code (`code_ape` or
  `activitePrincipaleEtablissement`) and the commune (`code_commune` or
  `codeCommuneEtablissement`);
- **stock** (`StockEtablissement`, the national file of current establishments): one row per
  establishment, `siret`, `dateCreationEtablissement`, `etatAdministratifEtablissement`,
  `dateDebut` (start of its current period: the closure date of a closed one),
  `activitePrincipaleEtablissement`, `codeCommuneEtablissement`. Its activity and commune are
  today's, carried back over the establishment's whole life (a note says so).

Both may carry the legal unit's `categorieJuridiqueUniteLegale` and
`economieSocialeSolidaireUniteLegale` (the joined files do); the mapping table then uses them.
Nothing else of a row is kept: the joined files name individual entrepreneurs
(`nomUniteLegale`, `prenom1UniteLegale`…), and only counts leave this module.

What is counted, per establishment (SIRET), its dated periods in order:

- **creation**: the start of its first period, when that period is active (or of unknown
  state: old records from before the register tracked it), under that period's code;
- **closure**: the start of a closed period that follows an active one (under the code of
  the active period before it), or of a first period already closed (the register kept only
  the closure: its creation is unknown, a note counts them);
- **reopening**: the start of an active period that follows a closed one;
- **stock**: establishments active on 31 December of each year, under the code of that day,
  up to the last complete year before the file's vintage.

Each row ends **used**, **skipped** (with its reason: a period without a start date, of
unknown state after the first, repeated, or beginning after the file's vintage) or
**rejected** (unreadable SIRET, date or state, unknown commune). The commune is the one the
row gives; an arrondissement of Paris, Lyon or Marseille is counted in its commune, and the
codes the file describes are kept as its coverage (a file of Lyon 4e covers one arrondissement
of Lyon, not Lyon).
"""

import csv
import datetime
import operator
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.sources.backends._common import check_file_size, detect_text_encoding
from maillage.sources.backends.tabular_detect import allow_long_fields
from maillage.sources.errors import SourceFileError
from maillage.sources.limits import import_limits
from maillage.sources.limits import number as spaced

from . import naf

PERIODS, STOCK = "periodes", "stock-etablissement"
LAYOUT_LABELS = {
    PERIODS: gettext_lazy("périodes d'établissements (StockEtablissementHistorique)"),
    STOCK: gettext_lazy("stock d'établissements (StockEtablissement)"),
}
# Column of each field, per layout: the first name present wins.
COLUMNS: dict[str, tuple[str, ...]] = {
    "siret": ("siret",),
    "start": ("dateDebut",),
    "end": ("dateFin",),
    "created": ("dateCreationEtablissement",),
    "state": ("etat", "etatAdministratifEtablissement"),
    "code": ("code_ape", "activitePrincipaleEtablissement"),
    "commune": ("code_commune", "codeCommuneEtablissement"),
    "legal_form": ("categorieJuridiqueUniteLegale",),
    "ess": ("economieSocialeSolidaireUniteLegale",),
    "country": ("codePaysEtrangerEtablissement",),
}
FIELDS = tuple(COLUMNS)
REQUIRED = {
    PERIODS: ("siret", "start", "end", "state", "code", "commune"),
    STOCK: ("siret", "created", "start", "state", "code", "commune"),
}
USED, SKIPPED, REJECTED = "used", "skipped", "rejected"
ISSUES_KEPT = 1000
ACTIVE, CLOSED, UNKNOWN_STATE = "A", "F", ""

# (territory id, code, nomenclature, legal form, ESS flag, year) → [creations, closures,
# reopenings, stock]
Key = tuple[str, str, str, str, str, int]
CREATIONS, CLOSURES, REOPENINGS, STOCK_END = range(4)


@dataclass(slots=True)
class Period:
    line: int
    start: datetime.date | None
    end: datetime.date | None
    state: str
    code: str
    nomenclature: str
    legal_form: str
    ess: str
    commune: str  # territory id


@dataclass
class Reading:
    """What a file taught: counts per commune, and how each row ended."""

    layout: str
    vintage: datetime.date
    rows: int = 0
    outcomes: Counter = field(default_factory=lambda: Counter({USED: 0, SKIPPED: 0, REJECTED: 0}))
    reasons: Counter = field(default_factory=Counter)
    remarks: Counter = field(default_factory=Counter)  # what was fixed or doubted, by kind
    issues: list[list[Any]] = field(default_factory=list)
    codes: set[str] = field(default_factory=set)  # INSEE codes as written
    counts: dict[Key, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0]))
    establishments: int = 0
    notes: list[str] = field(default_factory=list)

    def said(self, line: int, siret: str, outcome: str, reason: str) -> None:
        self.outcomes[outcome] += 1
        self.reasons[reason.split(" : ")[0]] += 1
        if len(self.issues) < ISSUES_KEPT:
            self.issues.append([line, siret, outcome, reason])


class CommuneCodes:
    """INSEE codes → current commune id (old codes and arrondissements included)."""

    def __init__(self, communes: dict[str, str]) -> None:
        self.communes = communes

    def resolve(self, code: str) -> str | None:
        return self.communes.get(code)


def _find(header: list[str], name: str) -> int | None:
    for column in COLUMNS[name]:
        if column in header:
            return header.index(column)
    return None


def layout_of(header: list[str]) -> str | None:
    if "dateCreationEtablissement" in header:
        return STOCK
    if "dateFin" in header and "siret" in header:
        return PERIODS
    return None


@lru_cache(maxsize=1 << 16)
def _date(value: str) -> datetime.date | None:
    """An ISO date, None when empty; ValueError when unreadable (a file repeats its dates:
    remembered)."""
    if not value:
        return None
    return datetime.date.fromisoformat(value[:10])


def _rows(path: Path) -> Iterator[tuple[int, list[str], list[str]]]:
    """(line number, header, cells) of a CSV file (`,` or `;`), checked like every import."""
    limits = import_limits()
    check_file_size(path, limits.file_bytes)
    encoding = detect_text_encoding(path)
    allow_long_fields(limits)
    with path.open(encoding=encoding, newline="") as handle:
        first = handle.readline()
        delimiter = ";" if first.count(";") > first.count(",") else ","
        header = [
            name.strip().strip('"') for name in next(csv.reader([first], delimiter=delimiter), [])
        ]
        reader = csv.reader(handle, delimiter=delimiter)
        count = 0
        try:
            for cells in reader:
                if not cells:
                    continue
                count += 1
                if count > limits.rows:
                    raise SourceFileError(
                        _(
                            "%(file)s : plus de %(limit)s lignes (MAILLAGE_IMPORT_MAX_ROWS) ; "
                            "découpez le fichier"
                        )
                        % {"file": path.name, "limit": spaced(limits.rows)}
                    )
                yield count, header, cells
        except csv.Error as exc:
            raise SourceFileError(
                _("Le fichier %(file)s est mal formé (ligne %(line)s) : %(error)s.")
                % {"file": path.name, "line": reader.line_num, "error": exc}
            ) from exc
    if count == 0:
        yield 0, header, []


def read_file(
    path: Path,
    communes: CommuneCodes,
    vintage: datetime.date | None = None,
    today: datetime.date | None = None,
) -> tuple[Reading, dict[str, list[Period]]]:
    """Every row of the file, checked, grouped by establishment. The vintage (the date the
    data describes) is given, or the latest date of the file that is not after today."""
    today = today or datetime.date.today()  # noqa: DTZ011 - a calendar day
    establishments: dict[str, list[Period]] = defaultdict(list)
    reading: Reading | None = None
    index: dict[str, int | None] = {}
    width = 0
    pick: Any = None
    periods_layout = True
    latest = datetime.date.min
    for line, header, cells in _rows(path):
        if reading is None:
            layout = layout_of(header)
            if layout is None:
                raise SourceFileError(
                    _(
                        "Le fichier %(file)s n'est pas un fichier SIRENE lisible : il faut les "
                        "colonnes des périodes (siret, dateDebut, dateFin, etat, code_ape, "
                        "code_commune) ou celles de StockEtablissement (siret, "
                        "dateCreationEtablissement, dateDebut, etatAdministratifEtablissement, "
                        "activitePrincipaleEtablissement, codeCommuneEtablissement)."
                    )
                    % {"file": path.name}
                )
            index = {name: _find(header, name) for name in COLUMNS}
            missing = [
                " / ".join(COLUMNS[name]) for name in REQUIRED[layout] if index[name] is None
            ]
            if missing:
                raise SourceFileError(
                    _(
                        "Le fichier %(file)s (%(layout)s) n'a pas la ou les colonnes "
                        "obligatoires : %(columns)s."
                    )
                    % {
                        "file": path.name,
                        "layout": LAYOUT_LABELS[layout],
                        "columns": ", ".join(missing),
                    }
                )
            reading = Reading(layout=layout, vintage=vintage or today)
            periods_layout = layout == PERIODS
            width = len(header)
            # A column the file lacks reads as the empty cell padded at position `width`.
            pick = operator.itemgetter(
                *[width if index[name] is None else index[name] for name in FIELDS]
            )
        if not cells:
            break
        reading.rows += 1
        if len(cells) <= width:
            cells = [*cells, *[""] * (width + 1 - len(cells))]
        (siret, start_text, end_text, created_text, state, code_text, written, legal_form,
         ess, country) = map(str.strip, pick(cells))  # fmt: skip

        if not (len(siret) == 14 and siret.isdigit()):
            reading.said(line, siret[:20], REJECTED, _("SIRET illisible : 14 chiffres attendus"))
            continue
        try:
            start = _date(start_text)
            end = _date(end_text) if periods_layout else None
            created = None if periods_layout else _date(created_text)
        except ValueError:
            reading.said(
                line, siret, REJECTED, _("date illisible : une date AAAA-MM-JJ est attendue")
            )
            continue
        state = state.upper()
        if state not in (ACTIVE, CLOSED, UNKNOWN_STATE):
            reading.said(
                line, siret, REJECTED,
                _("état administratif illisible : « %(value)s » (A ou F attendu)") % {"value": state[:20]},
            )  # fmt: skip
            continue
        if not written:
            if country:
                reading.said(
                    line, siret, SKIPPED, _("établissement à l'étranger : hors du référentiel")
                )
            else:
                reading.said(line, siret, REJECTED, _("commune absente : pas de code INSEE"))
            continue
        commune = communes.resolve(written.upper())
        if commune is None:
            reading.said(
                line, siret, REJECTED,
                _("commune inconnue : code INSEE « %(code)s » absent du référentiel") % {"code": written[:10]},
            )  # fmt: skip
            continue
        if start is not None and end is not None and end < start:
            reading.said(
                line, siret, REJECTED, _("période impossible : elle finit avant de commencer")
            )
            continue
        code = naf.normalise(code_text)
        if code.unreadable:
            reading.remarks[_("code d'activité illisible, compté comme inconnu")] += 1
        elif code.fixed:
            reading.remarks[_("code d'activité sans point, normalisé")] += 1
        if legal_form and not (legal_form.isdigit() and len(legal_form) == 4):
            reading.remarks[_("catégorie juridique illisible, ignorée")] += 1
            legal_form = ""
        ess = ess.upper()
        if ess not in ("O", "N"):
            ess = ""
        for day in (start, end, created):
            if day is not None and latest < day <= today:
                latest = day
        if periods_layout:
            establishments[siret].append(
                Period(
                    line, start, end, state, code.code, code.nomenclature, legal_form, ess, commune
                )
            )
        else:
            common: dict[str, Any] = {
                "line": line, "code": code.code, "nomenclature": code.nomenclature,
                "legal_form": legal_form, "ess": ess, "commune": commune,
            }  # fmt: skip
            periods = _stock_periods(reading, siret, line, created, start, state, common)
            if periods is None:
                continue
            establishments[siret] += periods
        reading.codes.add(written.upper())
    if reading is None:
        raise SourceFileError(_("Le fichier %(file)s est vide.") % {"file": path.name})
    if vintage is None:
        reading.vintage = latest if latest > datetime.date.min else today
    return reading, establishments


def _stock_periods(
    reading: Reading,
    siret: str,
    line: int,
    created: datetime.date | None,
    start: datetime.date | None,
    state: str,
    common: dict[str, Any],
) -> list[Period] | None:
    """A StockEtablissement row as the periods it implies: active from its creation, and
    closed from the start of its current period when it is closed."""
    if created is None:
        reading.said(
            line, siret, SKIPPED,
            _("date de création inconnue : ni création ni stock datables"),
        )  # fmt: skip
        return None
    if state == CLOSED:
        if start is None:
            reading.said(line, siret, SKIPPED, _("fermé à une date inconnue : période non datable"))
            return None
        closed_on = max(start, created)
        active_until = closed_on - datetime.timedelta(days=1)
        periods = []
        if active_until >= created:
            periods.append(Period(start=created, end=active_until, state=ACTIVE, **common))
        periods.append(Period(start=closed_on, end=None, state=CLOSED, **common))
        return periods
    return [Period(start=created, end=None, state=state or ACTIVE, **common)]


def last_complete_year(vintage: datetime.date) -> int:
    """The last year the file describes whole."""
    return vintage.year if (vintage.month, vintage.day) == (12, 31) else vintage.year - 1


def count(
    reading: Reading,
    establishments: dict[str, list[Period]],
    progress: Callable[[int], None] = lambda done: None,
) -> None:
    """Creations, closures, reopenings and stock of every establishment into reading.counts
    (per commune); every row of the file ends used or skipped here."""
    counts = reading.counts
    vintage = reading.vintage
    stock_until = last_complete_year(vintage)
    periods_only = reading.layout == PERIODS
    closed_first = 0
    for done, (siret, periods) in enumerate(establishments.items(), start=1):
        if done % 5000 == 0:
            progress(done)
        set_aside: dict[int, str] = {}  # line → why its period is not counted
        dated: list[Period] = []
        seen_starts: set[datetime.date] = set()
        for period in sorted(periods, key=lambda p: (p.start or datetime.date.min, p.line)):
            if period.start is None:
                set_aside[period.line] = _(
                    "période sans date de début : ni création, ni fermeture, ni stock datables"
                )
            elif period.start > vintage:
                set_aside[period.line] = _(
                    "période postérieure au millésime du fichier : date déclarée à l'avance"
                )
            elif period.start in seen_starts:
                set_aside[period.line] = _("période en double : même date de début")
            else:
                seen_starts.add(period.start)
                dated.append(period)
        kept: list[Period] = []
        for position, period in enumerate(dated):
            if period.state == UNKNOWN_STATE and position > 0:
                set_aside[period.line] = _(
                    "état administratif inconnu : période ancienne, hors des décomptes"
                )
                continue
            kept.append(period)
        used = {period.line for period in kept}
        for line in sorted({period.line for period in periods}):
            if line in used:
                reading.outcomes[USED] += 1
            else:
                reading.said(line, siret, SKIPPED, set_aside[line])
        if not kept:
            continue
        reading.establishments += 1
        closed_first += _count_one(counts, kept, stock_until)
    if closed_first:
        reading.notes.append(
            _(
                "%(n)s établissements n'ont qu'une période fermée pour première période (le "
                "registre n'a gardé que leur fermeture) : fermeture comptée, création inconnue"
            )
            % {"n": spaced(closed_first)}
        )
    if not periods_only:
        reading.notes.append(
            _(
                "format StockEtablissement : l'activité et la commune sont celles d'aujourd'hui, "
                "reportées sur toute la vie de l'établissement ; les réouvertures ne s'y voient pas"
            )
        )


def _count_one(counts: dict[Key, list[int]], kept: list[Period], stock_until: int) -> int:
    """One establishment's events and stock; 1 when its first period is already closed."""
    closed_first = 0
    previous: Period | None = None
    for position, period in enumerate(kept):
        assert period.start is not None
        year = period.start.year
        if position == 0:
            if period.state == CLOSED:
                _add(counts, period, year, CLOSURES)
                closed_first = 1
            else:
                _add(counts, period, year, CREATIONS)
        elif previous is not None:
            if previous.state != CLOSED and period.state == CLOSED:
                _add(counts, previous, year, CLOSURES)
            elif previous.state == CLOSED and period.state == ACTIVE:
                _add(counts, period, year, REOPENINGS)
        if period.state == ACTIVE:
            # Active on 31 December of every year the period spans, up to the last complete
            # year of the file.
            last = stock_until
            if period.end is not None:
                covers_its_last_year = (period.end.month, period.end.day) == (12, 31)
                last = min(last, period.end.year if covers_its_last_year else period.end.year - 1)
            for stock_year in range(period.start.year, last + 1):
                _add(counts, period, stock_year, STOCK_END)
        previous = period
    return closed_first


def _add(counts: dict[Key, list[int]], period: Period, year: int, what: int) -> None:
    key = (period.commune, period.code, period.nomenclature, period.legal_form, period.ess, year)
    counts[key][what] += 1


def remarks_as_notes(reading: Reading) -> list[str]:
    return [
        _("%(kind)s : %(n)s lignes") % {"kind": kind, "n": spaced(n)}
        for kind, n in reading.remarks.most_common()
    ]
