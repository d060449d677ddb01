"""Demo data: openly licensed third-party files that `make setup` loads when it finds them
(`maillage load-demo`), and that `maillage fetch-demo` downloads from their publishers.

None of them is committed to the repository. `load-demo` looks for each file, in this order:

1. in the folder named by `MAILLAGE_DEMO_DATA` (`settings.DEMO_DATA_DIR`), under its name
   (`bnlc.csv`) or under its place in the raw-data folder (`bnlc-covoiturage/bnlc.csv`);
2. in the raw-data folder (`settings.RAW_DATA_DIR`: `../shared/data/raw` beside the project,
   or `MAILLAGE_RAW_DATA`);
3. in `MAILLAGE_DATA_DIR/demo/`, where `maillage fetch-demo` downloads them.

This module sits on the top floor: it drives the imports (sources), the register files
(registers) and the published series (indicators).
"""

import datetime
import hashlib
import urllib.error
import urllib.request
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from maillage.indicators import history
from maillage.registers.services import SireneRequest, import_sirene
from maillage.sources.harvest import ImportRequest, file_sha256, run_import
from maillage.sources.models import HarvestJob, Source
from maillage.sources.selectors import job_summary

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoFile:
    name: str  # its name in a demo folder (MAILLAGE_DEMO_DATA, MAILLAGE_DATA_DIR/demo)
    raw_path: str  # its place in the raw-data folder
    sha256: str  # of the published file; a download is checked against it
    url: str  # the publisher's copy at a fixed commit; "" when there is none to download


BNLC = DemoFile(
    name="bnlc.csv",
    raw_path="bnlc-covoiturage/bnlc.csv",
    sha256="53af1d61b4f1194d61c9182a1e8240bbb7badf14da19bc7a74926bcab8309a69",
    url=(
        "https://raw.githubusercontent.com/etalab/transport-base-nationale-covoiturage/"
        "a6ce98abe67970c95442a392e22c83abd9cff0ba/bnlc-.csv"
    ),
)
CGET = DemoFile(
    name="CGET_TiersLieux_2019.csv",
    raw_path="tiers-lieux-cget-2019/CGET_TiersLieux_2019.csv",
    sha256="58452f478d4288d245aa62068a6e005f9b7b2954f853cdac2cc40305188cb5e0",
    url=(
        "https://raw.githubusercontent.com/anct-carto/mission_coworking/"
        "f228a034e88183f315ece63d2f4a90decbdfd017/CGET_TiersLieux_2019.csv"
    ),
)
# Derived from the 130 versions of the #MapLabBZH map (see the raw folder's PROVENANCE): the
# publisher has no such file to download.
MAPLAB_HISTORY = DemoFile(
    name="history_feature_counts.csv",
    raw_path="fablabs-tiers-lieux-bretagne/history_feature_counts.csv",
    sha256="7eca3a2c01f7c81cedd04cf339eda24467916ff01e1ca954d1aeedeee9cbee31",
    url="",
)
# Inside Airbnb's listings of Lyon and Bordeaux Métropole (March 2024), as a student project
# kept them at a fixed commit (removed from its later commits): the platform footprint.
_AIRBNB_COMMIT = (
    "https://raw.githubusercontent.com/lfoyer/airbnb/7d7cc6374749454812aa910a449a68ed8131484f/data/"
)
AIRBNB_LYON = DemoFile(
    name="listings_lyon.csv",
    raw_path="airbnb-lyon-bordeaux-2024/listings_lyon.csv",
    sha256="1847e11b9e98fac4233eb562f2a59aae2541985d98afb030ed77d5f732590997",
    url=_AIRBNB_COMMIT + "listings_lyon.csv",
)
AIRBNB_BORDEAUX = DemoFile(
    name="listings_bordeaux.csv",
    raw_path="airbnb-lyon-bordeaux-2024/listings_bordeaux.csv",
    sha256="deb8f3e527d395b2b975e3f578ff56a6d668db1b9561cda84c1fcd696af9423d",
    url=_AIRBNB_COMMIT + "listings_bordeaux.csv",
)
# The RNA « import » file of Indre-et-Loire, unmodified (see the raw folder's PROVENANCE).
RNA_37 = DemoFile(
    name="rna_import_20221101_dpt_37.csv",
    raw_path="rna-import-37-2022/rna_import_20221101_dpt_37.csv",
    sha256="5abf57b0432297e5a6e2b24ea42d4fd3fb883873cd1e4ab8eb29fdf66cae0a21",
    url=(
        "https://raw.githubusercontent.com/wassss95/devweb3/"
        "77ade307dd628b376a39187df59f156ec03f55f4/projetweb/src/import/data/"
        "rna_import_20221101_dpt_37.csv"
    ),
)
# SIRENE periods of Lyon 4e: a CSV conversion of a Parquet extract (see its PROVENANCE), which
# no publisher serves as such.
SIRENE_LYON_4E = DemoFile(
    name="periodes_sample.csv",
    raw_path="sirene-periodes-lyon4e/periodes_sample.csv",
    sha256="93f3af8744bc9333d6973dd7405a5394626c2fe5297013da584f0df054c549d3",
    url="",
)
DEMO_FILES = [BNLC, CGET, MAPLAB_HISTORY, AIRBNB_LYON, AIRBNB_BORDEAUX, RNA_37, SIRENE_LYON_4E]


@dataclass(frozen=True)
class DemoSource:
    name: str
    label: str
    backend: str
    file: DemoFile
    licence: str
    attribution: str
    # What the source inventories (see sources/coverage.py), and the date its data describe.
    covers: tuple[str, ...] = ()
    area: tuple[str, ...] = ("fr",)
    vintage: datetime.date | None = None
    moderation: str = "publish"  # « review »: candidates wait for staff (the RNA)


DEMO_SOURCES = [
    DemoSource(
        name="bnlc",
        label="Base nationale des lieux de covoiturage",
        backend="bnlc",
        file=BNLC,
        licence="ODbL 1.0",
        attribution="Base nationale des lieux de covoiturage, transport.data.gouv.fr, ODbL",
        covers=("covoiturage",),
        vintage=datetime.date(2023, 11, 6),  # its latest date_maj (see the raw PROVENANCE)
    ),
    DemoSource(
        name="tiers-lieux-cget-2019",
        label="Tiers-lieux, Mission Coworking (CGET, 2019)",
        backend="tiers-lieux",
        file=CGET,
        licence="Licence Ouverte 2.0",
        attribution="CGET / ANCT, Mission Coworking : Territoires, Travail, Numérique, 2019",
        covers=("coworking", "fablab", "tiers-lieu"),
        vintage=datetime.date(2019, 1, 1),
    ),
    DemoSource(
        name="inside-airbnb-lyon",
        label="Inside Airbnb — Lyon (mars 2024)",
        backend="footprint-airbnb",
        file=AIRBNB_LYON,
        licence="CC BY 4.0",
        attribution="Inside Airbnb (insideairbnb.com)",
    ),
    DemoSource(
        name="inside-airbnb-bordeaux",
        label="Inside Airbnb — Bordeaux Métropole (mars 2024)",
        backend="footprint-airbnb",
        file=AIRBNB_BORDEAUX,
        licence="CC BY 4.0",
        attribution="Inside Airbnb (insideairbnb.com)",
    ),
    DemoSource(
        name="rna-37",
        label="Répertoire national des associations, Indre-et-Loire (fichier import, 2022)",
        backend="rna",
        file=RNA_37,
        licence="Licence Ouverte 2.0",
        attribution="Ministère de l'Intérieur, Répertoire national des associations (RNA)",
        moderation="review",
    ),
]


@dataclass(frozen=True)
class DemoRegister:
    source: str
    label: str
    file: DemoFile
    licence: str
    attribution: str


# Register files (registers app): counts per territory and year, replaced at each new file.
DEMO_REGISTERS = [
    DemoRegister(
        source="sirene-lyon-4e",
        label="SIRENE, périodes des établissements de Lyon 4e arrondissement",
        file=SIRENE_LYON_4E,
        licence="Licence Ouverte 2.0",
        attribution="INSEE, base Sirene des entreprises et de leurs établissements",
    ),
]


@dataclass(frozen=True)
class DemoSeries:
    source: str
    file: DemoFile
    licence: str
    territory: str


# Counts over time published by a source (indicators.history), replaced whole at each load.
DEMO_SERIES = [
    DemoSeries(source="maplab-bzh", file=MAPLAB_HISTORY, licence="CC-BY", territory="reg:53"),
]

HOW_TO_GET = (
    "lancez `maillage fetch-demo` (accès au réseau nécessaire) puis `maillage load-demo`, "
    "ou nommez dans MAILLAGE_DEMO_DATA un dossier qui contient les fichiers"
)


class DemoDataError(Exception):
    """A demo folder or download that cannot be used; the message says why, in French."""


def download_folder() -> Path:
    return Path(settings.DATA_DIR) / "demo"


def searched_folders() -> list[Path]:
    """Where demo files are looked for, in order (see the module's docstring)."""
    folders = []
    if settings.DEMO_DATA_DIR is not None:
        folder = Path(settings.DEMO_DATA_DIR)
        if not folder.is_dir():
            raise DemoDataError(f"MAILLAGE_DEMO_DATA désigne {folder}, qui n'est pas un dossier.")
        folders.append(folder)
    folders += [Path(settings.RAW_DATA_DIR), download_folder()]
    return folders


def find_demo_file(demo: DemoFile) -> Path | None:
    for folder in searched_folders():
        for path in (folder / demo.name, folder / demo.raw_path):
            if path.is_file():
                return path
    return None


def _not_found(demo: DemoFile) -> str:
    return f"{demo.name} introuvable : non chargé."


def load_demo_series(progress: Progress = lambda m: None) -> list[dict[str, Any]]:
    results = []
    for demo in DEMO_SERIES:
        path = find_demo_file(demo.file)
        if path is None:
            progress(_not_found(demo.file))
            continue
        progress(f"Série {demo.source} ({path})…")
        series = history.read_features(path, demo.territory)
        results.append(
            {"source": demo.source, **history.import_series(series, demo.source, demo.licence)}
        )
    return results


# The demo sources are read again monthly by the worker (a replay when the file is the same).
DEMO_HARVEST_EVERY_DAYS = 30


def load_demo_sources(
    progress: Progress = lambda m: None, names: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """Import each demo file found (of the sources `names`, None: all), unless this very file
    was already imported successfully."""
    results = []
    for demo in DEMO_SOURCES:
        if names is not None and demo.name not in names:
            continue
        path = find_demo_file(demo.file)
        if path is None:
            progress(_not_found(demo.file))
            continue
        source, _created = Source.objects.update_or_create(
            name=demo.name,
            defaults={
                "label": demo.label,
                "backend": demo.backend,
                "licence": demo.licence,
                "attribution": demo.attribution,
                "moderation": demo.moderation,
            },
        )
        # What the demo knows it inventories; staff may change it. A footprint or a register
        # of candidates declares none (their records are not an inventory of practices).
        if demo.covers and not source.coverage_categories and not source.coverage_area:
            source.coverage_categories, source.coverage_area = list(demo.covers), list(demo.area)
            source.data_vintage = demo.vintage
            source.save(update_fields=["coverage_categories", "coverage_area", "data_vintage"])
        if source.harvest_every_days is None:  # the demo shows scheduled harvests; staff may
            source.harvest_every_days = DEMO_HARVEST_EVERY_DAYS  # change or clear it later
            source.next_harvest_at = timezone.now() + datetime.timedelta(
                days=DEMO_HARVEST_EVERY_DAYS
            )
            source.save(update_fields=["harvest_every_days", "next_harvest_at"])
        done = HarvestJob.objects.filter(
            source=source,
            dry_run=False,
            status__in=[HarvestJob.Status.DONE, HarvestJob.Status.DONE_WITH_ERRORS],
            file_sha256=file_sha256(path),
        ).first()
        if done is not None:
            progress(f"{demo.label} : déjà importée (import n° {done.pk}).")
            results.append({**job_summary(done), "status": "up-to-date"})
            continue
        progress(f"Import de {demo.label} ({path})…")
        job = run_import(ImportRequest(backend=demo.backend, path=path, source=demo.name))
        results.append(job_summary(job))
    return results


def load_demo_registers(progress: Progress = lambda m: None) -> list[dict[str, Any]]:
    """Each demo register file found; the same file again changes nothing (up-to-date)."""
    results = []
    for demo in DEMO_REGISTERS:
        path = find_demo_file(demo.file)
        if path is None:
            progress(_not_found(demo.file))
            continue
        progress(f"Registre {demo.label} ({path})…")
        summary = import_sirene(
            SireneRequest(
                path=path,
                source=demo.source,
                label=demo.label,
                licence=demo.licence,
                attribution=demo.attribution,
            )
        )
        results.append({key: summary[key] for key in REGISTER_SUMMARY if key in summary})
    return results


# What load-demo says of a register import (its whole summary lists every commune code).
REGISTER_SUMMARY = ("source", "status", "rows", "outcomes", "establishments", "vintage")


def load_demo(progress: Progress = lambda m: None) -> dict[str, Any]:
    """Every demo source, series and register file found; says how to get them when none
    is found."""
    folders = searched_folders()
    if all(find_demo_file(demo) is None for demo in DEMO_FILES):
        listed = ", ".join(str(folder) for folder in folders)
        progress(f"Aucune donnée de démonstration trouvée (cherchée dans : {listed}).")
        progress(f"Pour en charger : {HOW_TO_GET}.")
        return {"sources": [], "series": [], "registers": []}
    return {
        "sources": load_demo_sources(progress),
        "series": load_demo_series(progress),
        "registers": load_demo_registers(progress),
    }


# Downloads ---------------------------------------------------------------------------------

CHUNK = 1 << 16


def _download(url: str, partial: Path, timeout: float) -> tuple[str, int]:
    """Stream `url` into `partial`; its SHA-256 and size."""
    digest = hashlib.sha256()
    size = 0
    request = urllib.request.Request(url, headers={"User-Agent": "maillage-fetch-demo"})
    with urllib.request.urlopen(request, timeout=timeout) as response, partial.open("wb") as out:
        while chunk := response.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _why(exc: Exception) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"le serveur a répondu {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"serveur injoignable ({exc.reason})"
    if isinstance(exc, TimeoutError):
        return "délai dépassé"
    return str(exc)


def fetch_demo(
    mirror: str = "",
    files: list[DemoFile] | None = None,
    timeout: float = 60.0,
    progress: Progress = lambda m: None,
) -> dict[str, Any]:
    """Download the demo files into MAILLAGE_DATA_DIR/demo/, each checked by its SHA-256.

    From the publishers' addresses, or from `mirror` (a base URL serving the files by name,
    the derived #MapLabBZH history included). A file already there with the right checksum
    is kept. Every file is tried; then one DemoDataError lists the failures, if any."""
    if mirror and not mirror.startswith(("http://", "https://")):
        raise DemoDataError(f"Adresse de miroir invalide : « {mirror} » (http:// ou https://).")
    target = download_folder()
    target.mkdir(parents=True, exist_ok=True)
    results, failures = [], []
    for demo in DEMO_FILES if files is None else files:
        url = f"{mirror.rstrip('/')}/{demo.name}" if mirror else demo.url
        entry: dict[str, Any] = {"file": demo.name, "url": url, "sha256": demo.sha256}
        path = target / demo.name
        if path.is_file() and file_sha256(path) == demo.sha256:
            progress(f"{demo.name} : déjà téléchargé et vérifié.")
            results.append({**entry, "status": "present", "bytes": path.stat().st_size})
            continue
        if not url:
            progress(
                f"{demo.name} : pas d'adresse de téléchargement chez l'éditeur (fichier dérivé de "
                "l'historique de la carte) ; placez-le dans le dossier de MAILLAGE_DEMO_DATA."
            )
            results.append({**entry, "status": "not-downloadable", "bytes": 0})
            continue
        progress(f"Téléchargement de {url}…")
        partial = path.with_name(path.name + ".partial")
        try:
            sha256, size = _download(url, partial, timeout)
        except (OSError, ValueError) as exc:  # URLError and HTTPError are OSErrors
            partial.unlink(missing_ok=True)
            failures.append(f"{demo.name} : téléchargement impossible depuis {url} : {_why(exc)}")
            continue
        if sha256 != demo.sha256:
            partial.unlink()
            failures.append(
                f"{demo.name} : somme de contrôle inattendue (SHA-256 {sha256}, attendu "
                f"{demo.sha256}) ; fichier écarté. Le fichier publié a peut-être changé."
            )
            continue
        partial.replace(path)
        progress(f"{demo.name} : {size} octets, somme de contrôle vérifiée.")
        results.append({**entry, "status": "downloaded", "bytes": size})
    if failures:
        raise DemoDataError(
            "\n".join(
                [
                    *failures,
                    "Vérifiez l'accès au réseau, ou copiez les fichiers dans un dossier nommé "
                    "par MAILLAGE_DEMO_DATA.",
                ]
            )
        )
    return {"folder": str(target), "files": results}
