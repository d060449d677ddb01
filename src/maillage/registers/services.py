"""Writes of the registers: import a SIRENE file, load the mapping table, rebuild the series.

An import reads and counts the whole file first (nothing is written while reading), then
replaces the source's counts in **one** transaction: a file that proves unreadable halfway, an
error or an interruption (Ctrl-C, a killed process) leaves the database as it was. The same
file read the same way as the source's current import changes nothing at all.
"""

import datetime
import hashlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core import fastwrite
from maillage.sources.errors import SourceFileError
from maillage.territories.models import Territory, TerritoryAlias

from . import mapping, naf, sirene
from .models import RegisterCount, RegisterImport, RegisterSeries

# Bumped when reading or counting changes: the same file is then read again.
CODE_VERSION = "1"
CHUNK = 20000
ALL, PRACTICES, OLD_CODES, UNKNOWN_CODE = "all", "practices", "unmapped-old", "unknown-code"
DEFAULT_LICENCE = "Licence Ouverte / Etalab 2.0"
DEFAULT_ATTRIBUTION = "INSEE, base Sirene des entreprises et de leurs établissements"
Progress = Callable[[str], None]


@dataclass
class SireneRequest:
    path: Path
    source: str = ""
    label: str = ""
    licence: str = ""
    attribution: str = ""
    vintage: datetime.date | None = None
    dry_run: bool = False
    progress: Progress = field(default=lambda message: None)


def commune_codes() -> sirene.CommuneCodes:
    """Every INSEE code the referential knows → its current commune id."""
    codes = dict(Territory.objects.filter(level="com").values_list("code", "id"))
    for code, territory_id in TerritoryAlias.objects.values_list("code", "territory_id"):
        codes.setdefault(code, territory_id)
    return sirene.CommuneCodes(codes)


def ancestors(commune_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Commune id → the territories it adds up into: itself, its EPCI, département, région
    and France."""
    rows = Territory.objects.filter(id__in=set(commune_ids)).values_list(
        "id", "epci_id", "departement_id", "region_id"
    )
    return {tid: tuple(t for t in (tid, epci, dep, reg, "fr") if t) for tid, epci, dep, reg in rows}


def _input_key(request: SireneRequest) -> str:
    vintage = request.vintage.isoformat() if request.vintage else "auto"
    return hashlib.sha1(f"{CODE_VERSION}|{vintage}".encode(), usedforsecurity=False).hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# The levels a commune's rows add up into: (expression naming the territory, from the
# commune's row of the referential). France is every commune's.
LEVELS = ("t.epci_id", "t.departement_id", "t.region_id", "'fr'")


def roll_up(model: type[RegisterCount] | type[RegisterSeries], run: RegisterImport) -> int:
    """Sum the run's commune rows into each commune's EPCI, département, région and France,
    in the database (one INSERT … SELECT … GROUP BY per level): every level adds up exactly,
    and nothing crosses into Python. Returns the rows written."""
    quote = connection.ops.quote_name
    table, territories = quote(model._meta.db_table), quote(Territory._meta.db_table)
    if model is RegisterCount:
        keys = ["naf", "nomenclature", "legal_form", "ess", "year"]
        sums = ["creations", "closures", "reopenings", "stock"]
    else:
        keys = ["scope", "year"]
        sums = ["creations", "closures", "stock"]
    columns = ", ".join(quote(name) for name in ["run_id", "territory_id", *keys, *sums])
    grouped = ", ".join(f"c.{quote(name)}" for name in keys)
    summed = ", ".join(f"SUM(c.{quote(name)})" for name in sums)
    written = 0
    with connection.cursor() as cursor:
        for level in LEVELS:
            constant = level.startswith("'")  # France: PostgreSQL groups by no constant
            present = "" if constant else f" AND {level} IS NOT NULL"
            by = "" if constant else f"{level}, "
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "
                f"SELECT c.run_id, {level}, {grouped}, {summed} "
                f"FROM {table} c JOIN {territories} t ON t.id = c.territory_id "
                f"WHERE c.run_id = %s AND t.level = 'com'{present} "
                f"GROUP BY c.run_id, {by}{grouped}",
                [run.pk],
            )
            written += max(cursor.rowcount, 0)
    return written


def series_of(
    counts: Iterable[tuple[sirene.Key, Iterable[int]]], classifier: mapping.Classifier
) -> dict[tuple[str, str, int], list[int]]:
    """(territory, scope, year) → [creations, closures, stock], through the mapping table:
    « all » establishments, « practices » (every code a rule ties to a category), each
    category, old codes no rule knows, unknown codes."""
    series: dict[tuple[str, str, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for (territory, code, nomenclature, legal_form, ess, year), values in counts:
        creations, closures, _reopenings, stock = values
        scopes = [ALL]
        if not code:
            scopes.append(UNKNOWN_CODE)
        else:
            rule = classifier.match(code, nomenclature, legal_form, ess)
            if rule is not None and rule.category:
                scopes += [PRACTICES, f"cat:{rule.category}"]
            elif rule is None and nomenclature in (naf.NAF_OLD, naf.NAP):
                scopes.append(OLD_CODES)
        for scope in scopes:
            row = series[(territory, scope, year)]
            row[0] += creations
            row[1] += closures
            row[2] += stock
    return series


def _chunks(rows: Iterable[tuple[Any, ...]], size: int = CHUNK) -> Iterator[list[tuple[Any, ...]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


SERIES_COLUMNS = ["territory_id", "scope", "year", "creations", "closures", "stock"]
COUNT_COLUMNS = [
    "territory_id", "naf", "nomenclature", "legal_form", "ess", "year",
    "creations", "closures", "reopenings", "stock",
]  # fmt: skip


def _write_series(
    run: RegisterImport, series: dict[tuple[str, str, int], list[int]], say: Progress
) -> int:
    """Write a run's commune series, then sum them up the levels; the rows written."""
    rows = [(*key, *values) for key, values in series.items() if any(values)]
    for chunk in _chunks(rows):
        fastwrite.insert(RegisterSeries, SERIES_COLUMNS, chunk, constants={"run_id": run.pk})
        say(_("séries : %(n)s lignes écrites") % {"n": len(chunk)})
    return len(rows) + roll_up(RegisterSeries, run)


def import_sirene(request: SireneRequest) -> dict[str, Any]:
    """Import a SIRENE file (see sirene.py); returns the JSON summary."""
    started = time.perf_counter()
    say = request.progress
    path = request.path
    if not path.is_file():
        raise SourceFileError(_("Fichier introuvable : %(path)s") % {"path": path})
    source = (request.source or f"sirene-{path.stem}").lower().replace("_", "-")[:100]
    file_sha256 = _sha256(path)
    input_key = _input_key(request)
    current = RegisterImport.objects.filter(source=source, current=True).first()
    if (
        current is not None
        and current.file_sha256 == file_sha256
        and current.input_key == input_key
        and not request.dry_run
    ):
        say(
            _("fichier identique à l'import en vigueur n° %(id)s : rien à changer")
            % {"id": current.pk}
        )
        return {**summary_of(current), "status": "up-to-date"}

    say(_("lecture de %(file)s…") % {"file": path.name})
    reading, establishments = sirene.read_file(path, commune_codes(), request.vintage)
    say(
        _("%(rows)s lignes lues, %(n)s établissements : décompte…")
        % {"rows": reading.rows, "n": len(establishments)}
    )
    sirene.count(
        reading, establishments, lambda done: say(_("%(n)s établissements comptés") % {"n": done})
    )
    del establishments
    counts = reading.counts  # per commune: the other levels are summed in the database
    classifier = mapping.current_classifier()
    series = series_of(counts.items(), classifier)
    notes = [*reading.notes, *sirene.remarks_as_notes(reading)]
    if request.vintage is None:
        notes.append(
            _(
                "millésime : date la plus récente du fichier qui ne soit pas dans le futur "
                "(%(date)s) ; --vintage pour le préciser"
            )
            % {"date": reading.vintage.isoformat()}
        )
    summary: dict[str, Any] = {
        "register": RegisterImport.Register.SIRENE.value,
        "source": source,
        "file": str(path),
        "layout": reading.layout,
        "vintage": reading.vintage.isoformat(),
        "rows": reading.rows,
        "outcomes": dict(reading.outcomes),
        "reasons": dict(reading.reasons.most_common()),
        "notes": notes,
        "establishments": reading.establishments,
        "codes": sorted(reading.codes),
        "territories": len(
            {t for up in ancestors({key[0] for key in counts}).values() for t in up}
        ),
        "mapping": mapping.table_version(),
    }
    if request.dry_run:
        summary.update(status="dry-run", seconds=round(time.perf_counter() - started, 3))
        return summary

    say(_("écriture…"))
    with transaction.atomic():
        RegisterImport.objects.filter(source=source, current=True).update(current=False)
        # The replaced import's figures go; its row stays, with its summary, as history.
        RegisterCount.objects.filter(run__source=source).delete()
        RegisterSeries.objects.filter(run__source=source).delete()
        run = RegisterImport.objects.create(
            source=source,
            register=RegisterImport.Register.SIRENE,
            label=request.label or (current.label if current else "") or source,
            licence=request.licence or (current.licence if current else "") or DEFAULT_LICENCE,
            attribution=request.attribution
            or (current.attribution if current else "")
            or DEFAULT_ATTRIBUTION,
            layout=reading.layout,
            file_name=str(path),
            file_sha256=file_sha256,
            input_key=input_key,
            vintage=reading.vintage,
            imported_at=timezone.now(),
            rows=reading.rows,
            outcomes=dict(reading.outcomes),
            reasons=dict(reading.reasons.most_common()),
            notes=notes,
            issues=reading.issues,
            codes=sorted(reading.codes),
            establishments=reading.establishments,
            current=True,
        )
        rows = [(*key, *values) for key, values in counts.items()]
        for chunk in _chunks(rows):
            fastwrite.insert(RegisterCount, COUNT_COLUMNS, chunk, constants={"run_id": run.pk})
            say(_("décomptes : %(n)s lignes écrites") % {"n": len(chunk)})
        counts_rows = len(rows) + roll_up(RegisterCount, run)
        series_rows = _write_series(run, series, say)
        summary.update(counts_rows=counts_rows, series_rows=series_rows)
        run.seconds = round(time.perf_counter() - started, 3)
        run.save(update_fields=["seconds"])
    fastwrite.refresh_statistics(RegisterCount, RegisterSeries)
    summary.update(status="done", id=run.pk, seconds=run.seconds)
    return summary


def summary_of(run: RegisterImport) -> dict[str, Any]:
    return {
        "register": run.register,
        "source": run.source,
        "id": run.pk,
        "file": run.file_name,
        "layout": run.layout,
        "vintage": run.vintage.isoformat(),
        "rows": run.rows,
        "outcomes": run.outcomes,
        "reasons": run.reasons,
        "notes": run.notes,
        "establishments": run.establishments,
        "codes": run.codes,
        "imported_at": run.imported_at.isoformat(),
        "seconds": run.seconds,
        "mapping": mapping.table_version(),
    }


def rebuild_series(progress: Progress = lambda message: None) -> int:
    """Recompute every current import's series from its counts, through the mapping table as
    it is now (after a load of the file or an edit in the administration). One transaction."""
    classifier = mapping.current_classifier()
    written = 0
    with transaction.atomic():
        for run in RegisterImport.objects.filter(current=True).order_by("pk"):
            RegisterSeries.objects.filter(run=run).delete()
            rows = RegisterCount.objects.filter(run=run, territory__level="com").values_list(
                *COUNT_COLUMNS
            )
            counts = ((tuple(row[:6]), row[6:]) for row in rows.iterator(chunk_size=CHUNK))
            written += _write_series(run, series_of(counts, classifier), progress)
    return written


def sync_mapping(path: Path | None = None, force: bool = False) -> dict[str, Any]:
    """Load the project's mapping file into the table; the series follow when it changed."""
    summary = mapping.sync_rules(path=path, force=force)
    summary["series_rebuilt"] = rebuild_series() if summary["changed"] else 0
    return summary


def rule_saved(rule: Any) -> None:
    """A rule changed in the administration: remember it was edited by hand (the next load of
    the project file keeps it), and rebuild the series."""
    type(rule).objects.filter(pk=rule.pk).update(edited_at=timezone.now())
    rebuild_series()
