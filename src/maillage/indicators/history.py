"""Published counts over time (time series), read from the history files some sources keep:

- `regions`: one line per date, a `total` column, an `out_of_region` column and one column per
  région named in full (the two bookcase sources' `bookcase_count_history.csv`); the
  régions' counts are stored, and France's as their sum (the total also counts boxes abroad);
- `features`: one line per version of a map (`commit_date`, `n_features_total`, one `n_<label>`
  column per raw label, `parse_ok`), for a single territory (the Brittany fab lab map's
  `history_feature_counts.csv`); unreadable versions are skipped, the last version of a day
  is kept, the total goes to « all practices » and the labels are summed per category through
  a small mapping (labels that are not a practice of the typology, such as « frenchtech »,
  count only in the total).

An import replaces the whole series of its source, in one transaction.
"""

import csv
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from maillage.catalog.models import Category
from maillage.core.errors import MaillageError
from maillage.territories.models import Territory
from maillage.territories.text import normalize

from .models import CountSnapshot

FORMATS = ("regions", "features")
# Raw labels of the Brittany map, folded, → category of the typology.
FEATURE_LABELS = {
    "fablab": "fablab", "falab": "fablab", "fablabmit": "fablab", "fablab mit": "fablab",
    "fab lab mit": "fablab", "makerspace": "fablab", "hackerspace": "fablab",
    "hakerspace": "fablab", "tiers lieu": "tiers-lieu", "tierslieu": "tiers-lieu",
    "cantine": "tiers-lieu", "cantine numerique": "tiers-lieu",
}  # fmt: skip


class HistoryFileError(MaillageError):
    """The history file cannot be read as its format says (stable code `history-file`)."""

    code = "history-file"


@dataclass
class Series:
    rows: dict[tuple[str, str | None, datetime.date], int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def _date(text: str, line: int) -> datetime.date:
    try:
        return datetime.datetime.fromisoformat(text.strip()).date()
    except ValueError as exc:
        raise HistoryFileError(
            _("ligne %(line)s : date illisible « %(value)s »") % {"line": line, "value": text}
        ) from exc


def _count(text: str) -> int | None:
    text = (text or "").strip()
    return int(float(text)) if text else None


def _read(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise HistoryFileError(_("fichier illisible : %(error)s") % {"error": exc}) from exc


def read_regions(path: Path, category: str) -> Series:
    rows = _read(path)
    if not rows or "date" not in rows[0]:
        raise HistoryFileError(_("colonne « date » absente"))
    regions = {normalize(t.name): t.id for t in Territory.objects.filter(level="reg")}
    series = Series()
    columns = [c for c in rows[0] if c not in ("date", "total", "out_of_region")]
    known = {c: regions.get(normalize(c)) for c in columns}
    series.skipped += [
        _("colonne « %(name)s » : aucune région de ce nom") % {"name": c}
        for c, tid in known.items()
        if tid is None
    ]
    for line, row in enumerate(rows, start=2):
        day = _date(row["date"], line)
        total = 0
        for column, tid in known.items():
            value = _count(row.get(column, ""))
            if tid is None or value is None:
                continue
            series.rows[(tid, category, day)] = value
            total += value
        series.rows[("fr", category, day)] = total
    return series


def read_features(path: Path, territory: str) -> Series:
    rows = _read(path)
    if not rows or "commit_date" not in rows[0] or "n_features_total" not in rows[0]:
        raise HistoryFileError(_("colonnes « commit_date » et « n_features_total » attendues"))
    series = Series()
    latest: dict[datetime.date, tuple[str, dict[str, str]]] = {}
    for line, row in enumerate(rows, start=2):
        if (row.get("parse_ok") or "True").strip().lower() != "true":
            series.skipped.append(
                _("ligne %(line)s : version illisible de la carte, ignorée") % {"line": line}
            )
            continue
        moment = row["commit_date"].strip()
        day = _date(moment, line)
        if day not in latest or moment >= latest[day][0]:
            latest[day] = (moment, row)
    for day, (_moment, row) in latest.items():
        per_category: dict[str, int] = defaultdict(int)
        for column, value in row.items():
            if column.startswith("n_") and column != "n_features_total":
                code = FEATURE_LABELS.get(normalize(column[2:]))
                if code:
                    per_category[code] += _count(value) or 0
        series.rows[(territory, None, day)] = _count(row["n_features_total"]) or 0
        for code, count in per_category.items():
            series.rows[(territory, code, day)] = count
    return series


@transaction.atomic
def import_series(series: Series, source: str, licence: str = "") -> dict[str, int]:
    """Replace the source's whole series; returns counts for the summary."""
    categories = set(Category.objects.values_list("code", flat=True))
    unknown = {c for _t, c, _d in series.rows if c is not None and c not in categories}
    if unknown:
        raise HistoryFileError(
            _("catégories inconnues : %(codes)s") % {"codes": ", ".join(sorted(unknown))}
        )
    removed, _detail = CountSnapshot.objects.filter(source=source).delete()
    CountSnapshot.objects.bulk_create(
        CountSnapshot(
            source=source,
            licence=licence,
            territory_id=tid,
            category_id=code,
            date=day,
            count=count,
        )  # fmt: skip
        for (tid, code, day), count in sorted(
            series.rows.items(), key=lambda item: (item[0][0], item[0][1] or "", item[0][2])
        )
    )
    return {"stored": len(series.rows), "replaced": removed, "skipped": len(series.skipped)}
