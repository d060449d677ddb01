"""Backends by name. Each module defines one Backend subclass and registers it here."""

from importlib import import_module

from .base import Backend, BackendOptions

# name → "module:Class"; modules are imported on demand so one broken backend cannot stop
# the others.
REGISTRY: dict[str, str] = {
    "csv": "maillage.sources.backends.tabular:CsvBackend",
    "xlsx": "maillage.sources.backends.tabular:XlsxBackend",
    "json": "maillage.sources.backends.json_records:JsonBackend",
    "geojson": "maillage.sources.backends.geojson:GeoJsonBackend",
    "bnlc": "maillage.sources.backends.bnlc:BnlcBackend",
    "tiers-lieux": "maillage.sources.backends.tiers_lieux:TiersLieuxBackend",
    "osm": "maillage.sources.backends.osm:OsmBackend",
    "gogocarto": "maillage.sources.backends.gogocarto:GogocartoBackend",
    "bookcases": "maillage.sources.backends.bookcases:BookcasesBackend",
    # Platform footprint: figures per territory, not initiatives (sources/footprints.py).
    "footprint-airbnb": "maillage.sources.backends.airbnb:AirbnbListingsBackend",
    "footprint": "maillage.sources.backends.footprint_table:FootprintTableBackend",
    "rna": "maillage.sources.backends.rna:RnaBackend",
}


def get_backend(name: str, options: BackendOptions | None = None) -> Backend:
    if name not in REGISTRY:
        raise KeyError(name)
    module_name, class_name = REGISTRY[name].split(":")
    backend_class: type[Backend] = getattr(import_module(module_name), class_name)
    return backend_class(options)


def default_moderation(name: str) -> str:
    """The moderation a new source of this format starts with (`Backend.default_moderation`:
    « review » for registers whose records are only candidates, such as the RNA)."""
    if name not in REGISTRY:
        return "publish"
    module_name, class_name = REGISTRY[name].split(":")
    backend_class: type[Backend] = getattr(import_module(module_name), class_name)
    return backend_class.default_moderation


__all__ = ["REGISTRY", "Backend", "BackendOptions", "default_moderation", "get_backend"]
