"""The typology as data: `data/typology.json` is the reference, `sync_typology()` copies it.

`sync_typology()` is idempotent (a second run writes nothing) and takes an optional app
registry so that the data migration can run it on the historical models of its time: fields
that a historical model does not have yet are simply skipped.
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.db import transaction
from django.utils import translation

from maillage.core.errors import MaillageError

from .vocabularies import SINGLE_VALUE_ATTRIBUTES

TYPOLOGY_FILE = Path(__file__).resolve().parent / "data" / "typology.json"

FAMILY_FIELDS = ["label_fr", "label_en", "description_fr", "description_en"]
CATEGORY_FIELDS = [
    "label_fr",
    "label_en",
    "description_fr",
    "description_en",
    "examples",
    "osm_hints",
    "data_hints",
]


class TypologyError(MaillageError):
    """Stable error code `typology-invalid`: the typology file contradicts the code."""

    code = "typology-invalid"


@cache
def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8"))


def read_typology(path: Path | None = None) -> dict[str, Any]:
    """The parsed typology file, checked against the vocabularies that code relies on."""
    data = _read(path or TYPOLOGY_FILE)
    check_typology(data)
    return data


def check_typology(data: dict[str, Any]) -> None:
    codes = [c["code"] for f in data["families"] for c in f["categories"]]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise TypologyError(f"Codes de catégorie en double : {', '.join(duplicates)}")
    for name, choices in SINGLE_VALUE_ATTRIBUTES.items():
        in_file = [(v["code"], v["label_fr"]) for v in data["attributes"][name]["values"]]
        with translation.override("fr"):
            in_code = [(str(c.value), str(c.label)) for c in choices]
        if in_file != in_code:
            raise TypologyError(
                f"L'attribut « {name} » du fichier de typologie ({in_file}) diffère du code "
                f"({in_code}) : mettez à jour l'un ou l'autre."
            )


def _upsert(model: Any, rows: list[dict[str, Any]], counts: dict[str, int]) -> None:
    """Create or update rows by code, touching only fields the (historical) model has."""
    names = {f.attname for f in model._meta.concrete_fields}
    existing = {obj.pk: obj for obj in model.objects.all()}
    for row in rows:
        values = {k: v for k, v in row.items() if k in names and k != "code"}
        obj = existing.get(row["code"])
        if obj is None:
            model.objects.create(code=row["code"], **values)
            counts["created"] += 1
            continue
        changed = [k for k, v in values.items() if getattr(obj, k) != v]
        if changed:
            for key in changed:
                setattr(obj, key, values[key])
            obj.save(update_fields=changed)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1


def sync_typology(apps: Apps | None = None, path: Path | None = None) -> dict[str, Any]:
    """Copy the typology file into the database. Returns counts per table."""
    registry = apps or global_apps
    family_model = registry.get_model("catalog", "Family")
    category_model = registry.get_model("catalog", "Category")
    mode_model = registry.get_model("catalog", "ExchangeMode")
    data = read_typology(path)

    families: list[dict[str, Any]] = []
    categories: list[dict[str, Any]] = []
    for f_pos, family in enumerate(data["families"], start=1):
        families.append(
            {"code": family["code"], "position": f_pos, **{k: family[k] for k in FAMILY_FIELDS}}
        )
        for c_pos, category in enumerate(family["categories"], start=1):
            categories.append(
                {
                    "code": category["code"],
                    "family_id": family["code"],
                    "position": c_pos,
                    "retired": False,
                    **{k: category[k] for k in CATEGORY_FIELDS},
                }
            )
    modes = [
        {"code": m["code"], "position": pos, "label_fr": m["label_fr"], "label_en": m["label_en"]}
        for pos, m in enumerate(data["attributes"]["exchange_mode"]["values"], start=1)
    ]

    summary: dict[str, Any] = {}
    with transaction.atomic():
        for name, model, rows in (
            ("families", family_model, families),
            ("categories", category_model, categories),
            ("exchange_modes", mode_model, modes),
        ):
            counts = {"created": 0, "updated": 0, "unchanged": 0}
            _upsert(model, rows, counts)
            summary[name] = counts
        # A category that left the file stays for the initiatives that use it, marked retired.
        wanted = [c["code"] for c in categories]
        summary["categories"]["retired"] = (
            category_model.objects.exclude(code__in=wanted)
            .filter(retired=False)
            .update(retired=True)
        )
    summary["total"] = {
        "families": len(families),
        "categories": len(categories),
        "exchange_modes": len(modes),
    }
    return summary
