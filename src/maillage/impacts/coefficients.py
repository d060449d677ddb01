"""Coefficients: the project file, its load into the table, and which value applies where.

`data/coefficients.json` is the reference (a `version` and a list of `coefficients`, each with
the fields of `Coefficient`). `sync_coefficients()` copies it into the table; a coefficient an
administrator edited (`edited_at` set) is kept as they left it, unless forced, and listed in
`kept_edited`. A coefficient that left the file stays (territories may override it) and is
listed in `absent_from_file`. The migration that seeds the table calls the same function with
its historical models.

A territory's override applies to it and to everything below it: a commune uses its own value,
else its EPCI's, else its département's, else its région's, else the national one
(`CoefficientTable.resolve`).
"""

import datetime
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from maillage.catalog.typology import read_typology
from maillage.core.errors import MaillageError
from maillage.territories.models import Territory

from .models import KEY_PATTERN, validate_source_url
from .ranges import Range

COEFFICIENTS_FILE = Path(__file__).resolve().parent / "data" / "coefficients.json"
FIELDS = (
    "categories",
    "practice_fr",
    "quantity_fr",
    "unit",
    "low",
    "central",
    "high",
    "source_text",
    "source_url",
    "checked_on",
    "contested",
    "contested_note",
    "note_fr",
    "version",
)
TEXT_FIELDS = ("practice_fr", "quantity_fr", "unit", "source_text")


class CoefficientFileError(MaillageError):
    """The coefficients file contradicts itself or the typology (stable code
    `coefficients-invalid`); the message says which entry and why, in French."""

    code = "coefficients-invalid"


class UnknownCoefficient(MaillageError):
    code = "coefficient-unknown"
    status = 404


@cache
def typology_codes() -> frozenset[str]:
    return frozenset(c["code"] for f in read_typology()["families"] for c in f["categories"])


# --- the file ----------------------------------------------------------------------------


def checked_entry(entry: Any, position: int) -> dict[str, Any]:
    """One coefficient of the file, checked and typed; the error says what is wrong."""
    if not isinstance(entry, dict):
        raise CoefficientFileError(_("coefficient n° %(n)s : objet JSON attendu") % {"n": position})
    key = str(entry.get("key") or "")
    where = _("coefficient n° %(n)s (%(key)s)") % {"n": position, "key": key or "?"}

    def fail(reason: str) -> CoefficientFileError:
        return CoefficientFileError(f"{where} : {reason}")

    if not re.match(KEY_PATTERN, key):
        raise fail(_("clé invalide (ex. attendu : carpool.commute_km)"))
    missing = [name for name in FIELDS if name not in entry]
    if missing:
        raise fail(_("champs manquants : %(names)s") % {"names": ", ".join(missing)})
    for name in TEXT_FIELDS:
        if not str(entry[name]).strip():
            raise fail(_("« %(name)s » est vide") % {"name": name})
    values = {}
    for name in ("low", "central", "high"):
        value = entry[name]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise fail(_("« %(name)s » doit être un nombre") % {"name": name})
        values[name] = float(value)
    if not values["low"] <= values["central"] <= values["high"]:
        raise fail(_("il faut basse ≤ centrale ≤ haute"))
    categories = entry["categories"]
    if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
        raise fail(_("« categories » doit être une liste de codes"))
    unknown = sorted(set(categories) - typology_codes())
    if unknown:
        raise fail(
            _("catégories absentes de la typologie : %(codes)s") % {"codes": ", ".join(unknown)}
        )
    url = str(entry["source_url"] or "")
    if url:
        try:
            validate_source_url(url)
        except ValidationError as exc:
            raise fail(
                _("adresse de source invalide (http ou https) : %(url)s") % {"url": url}
            ) from exc
    try:
        checked_on = datetime.date.fromisoformat(str(entry["checked_on"]))
    except ValueError as exc:
        raise fail(_("« checked_on » : date AAAA-MM-JJ attendue")) from exc
    contested = entry["contested"]
    if not isinstance(contested, bool):
        raise fail(_("« contested » vaut true ou false"))
    if contested and not str(entry["contested_note"]).strip():
        raise fail(_("un coefficient contesté dit pourquoi (contested_note)"))
    version = entry["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise fail(_("« version » : entier positif attendu"))
    return {
        "key": key,
        **{name: str(entry[name]).strip() for name in TEXT_FIELDS},
        **values,
        "categories": list(categories),
        "source_url": url,
        "checked_on": checked_on,
        "contested": contested,
        "contested_note": str(entry["contested_note"]).strip(),
        "note_fr": str(entry["note_fr"]).strip(),
        "version": version,
    }


def read_coefficients(path: Path | None = None) -> dict[str, Any]:
    """The coefficients file, checked: {"version", "coefficients": [dict, …]}."""
    path = path or COEFFICIENTS_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise CoefficientFileError(
            _("Fichier des coefficients illisible : %(file)s") % {"file": path}
        ) from exc
    except ValueError as exc:
        raise CoefficientFileError(
            _("Fichier des coefficients %(file)s : JSON invalide (%(error)s)")
            % {"file": path.name, "error": exc}
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("coefficients"), list):
        raise CoefficientFileError(
            _('Fichier des coefficients %(file)s : {"version": …, "coefficients": [...]} attendu')
            % {"file": path.name}
        )
    entries = [checked_entry(e, n) for n, e in enumerate(data["coefficients"], start=1)]
    keys = [e["key"] for e in entries]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise CoefficientFileError(_("Clés en double : %(keys)s") % {"keys": ", ".join(duplicates)})
    return {"version": str(data.get("version") or ""), "coefficients": entries}


# --- into the database -------------------------------------------------------------------


def sync_coefficients(
    apps: Apps | None = None, path: Path | None = None, force: bool = False
) -> dict[str, Any]:
    """Copy the coefficients file into the table; idempotent (a second run writes nothing)."""
    registry = apps or global_apps
    model: Any = registry.get_model("impacts", "Coefficient")
    data = read_coefficients(path)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    kept: list[str] = []
    with transaction.atomic():
        stored = {obj.key: obj for obj in model.objects.all()}
        for row in data["coefficients"]:
            obj = stored.get(row["key"])
            if obj is None:
                model.objects.create(origin="file", **row)
                counts["created"] += 1
                continue
            if obj.edited_at is not None and not force:
                kept.append(obj.key)
                continue
            changed = [name for name in FIELDS if getattr(obj, name) != row[name]]
            if obj.origin != "file":
                changed.append("origin")
            if obj.edited_at is not None:
                changed.append("edited_at")
            if not changed:
                counts["unchanged"] += 1
                continue
            for name in FIELDS:
                setattr(obj, name, row[name])
            obj.origin, obj.edited_at = "file", None
            obj.save(update_fields=changed)
            counts["updated"] += 1
        in_file = {row["key"] for row in data["coefficients"]}
        absent = sorted(k for k, obj in stored.items() if k not in in_file and obj.origin == "file")
    return {
        "version": data["version"],
        "coefficients": len(data["coefficients"]),
        **counts,
        "kept_edited": sorted(kept),
        "absent_from_file": absent,
    }


# --- which value applies where -----------------------------------------------------------


@dataclass(frozen=True)
class CoefficientValue:
    """The value of a coefficient that applies somewhere, and where it comes from."""

    key: str
    value: Range
    quantity: str
    unit: str
    source: str
    source_url: str
    checked_on: datetime.date | None
    contested: bool
    contested_note: str
    version: int
    override_territory: str | None = None  # None: the national value

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            **self.value.as_dict(),
            "quantity": self.quantity,
            "unit": self.unit,
            "source": self.source,
            "source_url": self.source_url,
            "checked_on": self.checked_on.isoformat() if self.checked_on else None,
            "contested": self.contested,
            "contested_note": self.contested_note,
            "version": self.version,
            "override": self.override_territory,
        }


def ancestry(territory: Territory) -> list[str]:
    """The territory and those above it where an override may apply, nearest first (France
    excluded: the national value is the coefficient itself)."""
    ids = [territory.id, territory.epci_id, territory.departement_id, territory.region_id]
    return [i for i in dict.fromkeys(ids) if i and i != "fr"]


class CoefficientTable:
    """Every coefficient and every override, read once: an estimate for a million initiatives
    resolves its coefficients in memory."""

    def __init__(self, national: Iterable[Any], overrides: Iterable[Any]) -> None:
        self.national: dict[str, CoefficientValue] = {}
        for obj in national:
            self.national[obj.key] = CoefficientValue(
                key=obj.key,
                value=Range(obj.low, obj.central, obj.high),
                quantity=obj.quantity_fr,
                unit=obj.unit,
                source=obj.source_text,
                source_url=obj.source_url,
                checked_on=obj.checked_on,
                contested=obj.contested,
                contested_note=obj.contested_note,
                version=obj.version,
            )
        self.local: dict[tuple[str, str], CoefficientValue] = {}
        for override in overrides:
            base = self.national.get(override.coefficient.key)
            if base is None:
                continue
            self.local[(override.territory_id, base.key)] = CoefficientValue(
                key=base.key,
                value=Range(override.low, override.central, override.high),
                quantity=base.quantity,
                unit=base.unit,
                source=override.source_text,
                source_url=override.source_url,
                checked_on=override.updated_at.date() if override.updated_at else None,
                contested=base.contested,
                contested_note=base.contested_note,
                version=base.version,
                override_territory=override.territory_id,
            )

        self.places_with_overrides = {territory_id for territory_id, _key in self.local}

    def override_chain(self, chain: Sequence[str]) -> tuple[str, ...]:
        """The part of a chain that can change a value: two places with the same one get the
        same coefficients (what lets a computation reuse an estimate)."""
        return tuple(t for t in chain if t in self.places_with_overrides)

    @classmethod
    def load(cls) -> "CoefficientTable":
        from .models import Coefficient, CoefficientOverride

        return cls(
            Coefficient.objects.all(),
            CoefficientOverride.objects.select_related("coefficient"),
        )

    def __contains__(self, key: str) -> bool:
        return key in self.national

    def resolve(self, key: str, chain: Sequence[str] = ()) -> CoefficientValue:
        """The value of `key` for a place given by its chain of territories, nearest first
        (see `ancestry`): the nearest override, else the national value."""
        if key not in self.national:
            raise UnknownCoefficient(_("Coefficient inconnu : %(key)s") % {"key": key})
        if self.local:
            for territory_id in chain:
                found = self.local.get((territory_id, key))
                if found is not None:
                    return found
        return self.national[key]


def coefficient_for(key: str, territory: Territory) -> CoefficientValue:
    """The value of one coefficient that applies on a territory (one query per call: for
    many places, load a `CoefficientTable` once)."""
    from .models import Coefficient, CoefficientOverride

    chain = ancestry(territory)
    table = CoefficientTable(
        Coefficient.objects.filter(key=key),
        CoefficientOverride.objects.filter(
            coefficient__key=key, territory_id__in=chain
        ).select_related("coefficient"),
    )
    return table.resolve(key, chain)
