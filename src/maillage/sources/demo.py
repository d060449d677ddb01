"""The openly licensed demo sources that `make run` loads (see data/demo/PROVENANCE.md)."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from maillage.indicators import history

from .harvest import ImportRequest, file_sha256, run_import
from .models import HarvestJob, Source
from .selectors import job_summary


@dataclass(frozen=True)
class DemoSource:
    name: str
    label: str
    backend: str
    file: str
    licence: str
    attribution: str


DEMO_SOURCES = [
    DemoSource(
        name="bnlc",
        label="Base nationale des lieux de covoiturage",
        backend="bnlc",
        file="bnlc.csv",
        licence="ODbL 1.0",
        attribution="Base nationale des lieux de covoiturage, transport.data.gouv.fr, ODbL",
    ),
    DemoSource(
        name="tiers-lieux-cget-2019",
        label="Tiers-lieux, Mission Coworking (CGET, 2019)",
        backend="tiers-lieux",
        file="CGET_TiersLieux_2019.csv",
        licence="Licence Ouverte 2.0",
        attribution="CGET / ANCT, Mission Coworking : Territoires, Travail, Numérique, 2019",
    ),
]


@dataclass(frozen=True)
class DemoSeries:
    source: str
    file: str
    licence: str
    territory: str


# Counts over time published by a source (indicators.history), replaced whole at each load.
DEMO_SERIES = [
    DemoSeries(
        source="maplab-bzh", file="maplab-bzh-history.csv", licence="CC-BY", territory="reg:53"
    ),
]


def load_demo_series(progress: Callable[[str], None] = lambda m: None) -> list[dict[str, Any]]:
    folder = Path(settings.BUNDLED_DATA_DIR) / "demo"
    results = []
    for demo in DEMO_SERIES:
        progress(f"Série {demo.source}…")
        series = history.read_features(folder / demo.file, demo.territory)
        results.append(
            {"source": demo.source, **history.import_series(series, demo.source, demo.licence)}
        )
    return results


def load_demo_sources(progress: Callable[[str], None] = lambda m: None) -> list[dict[str, Any]]:
    """Import each demo file unless this very file was already imported successfully."""
    folder = Path(settings.BUNDLED_DATA_DIR) / "demo"
    results = []
    for demo in DEMO_SOURCES:
        path = folder / demo.file
        source, _created = Source.objects.update_or_create(
            name=demo.name,
            defaults={
                "label": demo.label,
                "backend": demo.backend,
                "licence": demo.licence,
                "attribution": demo.attribution,
            },
        )
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
        progress(f"Import de {demo.label}…")
        job = run_import(ImportRequest(backend=demo.backend, path=path, source=demo.name))
        results.append(job_summary(job))
    return results
