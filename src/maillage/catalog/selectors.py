"""Reads of the catalogue: the typology tree and its public description (HTML and JSON)."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from .models import Category, ExchangeMode, Family, current_language, pick
from .typology import read_typology
from .vocabularies import SINGLE_VALUE_ATTRIBUTES


def typology_families() -> QuerySet[Family]:
    """Families in order, each with its current categories prefetched (two queries)."""
    return Family.objects.prefetch_related(
        Prefetch(
            "categories",
            queryset=Category.objects.filter(retired=False).order_by("position", "code"),
        )
    )


def attribute_vocabularies() -> list[dict[str, Any]]:
    """The attributes of every initiative, with their values in the active language."""
    spec = read_typology()["attributes"]
    modes = [{"code": m.code, "label": m.label} for m in ExchangeMode.objects.all()]
    result = [
        {
            "code": "exchange_mode",
            "label": pick(spec["exchange_mode"]["label_fr"], spec["exchange_mode"]["label_en"]),
            "multiple": True,
            "values": modes,
        }
    ]
    for name, choices in SINGLE_VALUE_ATTRIBUTES.items():
        result.append(
            {
                "code": name,
                "label": pick(spec[name]["label_fr"], spec[name]["label_en"]),
                "multiple": False,
                "values": [{"code": str(c.value), "label": str(c.label)} for c in choices],
            }
        )
    return result


def describe_category(category: Category) -> dict[str, Any]:
    return {
        "code": category.code,
        "label": category.label,
        "label_fr": category.label_fr,
        "label_en": category.label_en,
        "description": category.description,
        "examples": category.localized_examples,
        "osm_hints": category.localized_osm_hints,
        "data_hints": category.localized_data_hints,
    }


def describe_typology() -> dict[str, Any]:
    """The JSON twin of the typology page (labels in the active language, codes stable)."""
    families = [
        {
            "code": family.code,
            "label": family.label,
            "label_fr": family.label_fr,
            "label_en": family.label_en,
            "description": family.description,
            "categories": [describe_category(c) for c in family.categories.all()],
        }
        for family in typology_families()
    ]
    return {
        "language": current_language(),
        "counts": {
            "families": len(families),
            "categories": sum(len(f["categories"]) for f in families),
        },
        "families": families,
        "attributes": attribute_vocabularies(),
        "sources": read_typology()["sources"],
    }
