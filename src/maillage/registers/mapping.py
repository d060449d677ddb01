"""The table mapping the register's activity codes (and legal forms) to the typology.

Its reference is a project file, `data/naf_typology.json` (schema in the README, « Table de
correspondance NAF → typologie »): a `version` and a list of `rules`, each with the code it
covers, optional conditions on the legal form and the ESS flag, the category (or `null`: the
code was looked at and is not a practice) and the rationale. `sync_rules()` copies it into
`NafRule`, where staff may edit it in the administration; a rule they edited is kept by the
next load (unless forced) and said. `export_rules()` writes the table back in the file's
schema, so that edits made in the administration can be committed.

A code is classified by the most specific rule that covers it (`Classifier`): the longest
code first (a full code before its class, group or division), then a rule on the legal form
before one without, then a rule on the ESS flag before one without. Rules are per
nomenclature: `95.2` in NAF rév. 2 is repair of personal goods, and says nothing of an old
`95.2` code.
"""

import datetime
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.catalog.typology import read_typology
from maillage.core.errors import MaillageError

from . import naf

MAPPING_FILE = Path(__file__).resolve().parent / "data" / "naf_typology.json"
NOMENCLATURES = (naf.NAF_REV2, naf.NAF_OLD, naf.NAP)
ESS_VALUES = ("", "O", "N")
RULE_FIELDS = ("category_id", "activity", "rationale_fr", "rationale_en")
_LEGAL_FORM = re.compile(r"^\d{1,4}$")


class MappingError(MaillageError):
    """The mapping file (or a rule) contradicts itself or the typology (stable code
    `naf-mapping-invalid`); the message says which rule and why, in French."""

    code = "naf-mapping-invalid"


@dataclass(frozen=True)
class Rule:
    naf: str
    nomenclature: str
    legal_forms: tuple[str, ...]
    ess: str
    category: str | None
    activity: str = ""
    rationale: str = ""

    @property
    def key(self) -> tuple[str, str, tuple[str, ...], str]:
        return (self.naf, self.nomenclature, self.legal_forms, self.ess)

    def describe(self) -> str:
        """The rule in words, for people (« 95.2 (NAF rév. 2), forme 92… → repair-cafe »)."""
        parts = [self.naf or _("toute activité")]
        if self.legal_forms:
            parts.append(_("forme juridique %(forms)s") % {"forms": ", ".join(self.legal_forms)})
        if self.ess:
            parts.append(f"ESS = {self.ess}")
        target = self.category or _("pas une pratique")
        return f"{' ; '.join(parts)} → {target}"


def rule_key(
    naf_code: str, nomenclature: str, legal_forms: Iterable[str], ess: str
) -> tuple[str, str, tuple[str, ...], str]:
    return (naf_code, nomenclature, tuple(sorted(legal_forms)), ess)


# --- the file ----------------------------------------------------------------------------


def checked_rule(entry: Any, position: int | None = None) -> Rule:
    """One rule of the file (or of the administration's form), checked; MappingError (in
    French) says what is wrong."""
    categories = _typology_codes()
    where = _("règle n° %(n)s") % {"n": position} if position else _("règle")
    if not isinstance(entry, dict):
        raise MappingError(_("%(where)s : un objet JSON est attendu") % {"where": where})
    nomenclature = entry.get("nomenclature", naf.NAF_REV2)
    if nomenclature not in NOMENCLATURES:
        raise MappingError(
            _("%(where)s : nomenclature « %(value)s » inconnue (attendu : %(known)s)")
            % {"where": where, "value": nomenclature, "known": ", ".join(NOMENCLATURES)}
        )
    code = naf.clean_prefix(str(entry.get("naf") or ""))
    if entry.get("naf") and not code:
        raise MappingError(
            _("%(where)s : code d'activité illisible « %(value)s »")
            % {"where": where, "value": entry.get("naf")}
        )
    # A full NAF code ends with its letter, and its form tells its nomenclature; shorter
    # prefixes (95, 95.2, 95.29) may belong to any.
    if code and code[-1].isalpha() and naf.nomenclature_of(code) != nomenclature:
        raise MappingError(
            _("%(where)s : le code %(code)s n'a pas la forme de la nomenclature %(nom)s")
            % {"where": where, "code": code, "nom": nomenclature}
        )
    forms = entry.get("legal_forms") or []
    if not isinstance(forms, list) or not all(
        isinstance(f, str) and _LEGAL_FORM.match(f) for f in forms
    ):
        raise MappingError(
            _("%(where)s : legal_forms doit être une liste de codes de 1 à 4 chiffres")
            % {"where": where}
        )
    ess = entry.get("ess") or ""
    if ess not in ESS_VALUES:
        raise MappingError(
            _("%(where)s : ess vaut « O », « N » ou rien, pas « %(value)s »")
            % {"where": where, "value": ess}
        )
    if not code and not forms and not ess:
        raise MappingError(
            _("%(where)s : une règle porte sur un code, une forme juridique ou l'ESS")
            % {"where": where}
        )
    category = entry.get("category")
    if category is not None and category not in categories:
        raise MappingError(
            _("%(where)s : catégorie « %(code)s » absente de la typologie")
            % {"where": where, "code": category}
        )
    rationale = str(entry.get("rationale_fr") or "").strip()
    if not rationale:
        raise MappingError(
            _("%(where)s : chaque règle dit sa raison (rationale_fr)") % {"where": where}
        )
    return Rule(
        naf=code,
        nomenclature=nomenclature,
        legal_forms=tuple(sorted(forms)),
        ess=ess,
        category=category,
        activity=str(entry.get("activity") or "").strip(),
        rationale=rationale,
    )


@cache
def _typology_codes() -> frozenset[str]:
    families = read_typology()["families"]
    return frozenset(c["code"] for family in families for c in family["categories"])


def read_mapping(path: Path | None = None) -> dict[str, Any]:
    """The mapping file, checked: {"version", "sha256", "rules": [dict, …]} where each rule
    dict holds the fields of NafRule."""
    path = path or MAPPING_FILE
    try:
        data_bytes = path.read_bytes()
        data = json.loads(data_bytes)
    except OSError as exc:
        raise MappingError(
            _("Table de correspondance illisible : %(file)s (%(error)s)")
            % {"file": path, "error": exc.strerror}
        ) from exc
    except ValueError as exc:
        raise MappingError(
            _("Table de correspondance %(file)s : JSON invalide (%(error)s)")
            % {"file": path.name, "error": exc}
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise MappingError(
            _('Table de correspondance %(file)s : {"version": …, "rules": [...]} attendu')
            % {"file": path.name}
        )
    version = str(data.get("version") or "").strip()
    if not version:
        raise MappingError(
            _("Table de correspondance %(file)s : « version » manquante") % {"file": path.name}
        )
    rules: list[dict[str, Any]] = []
    seen: dict[tuple[str, str, tuple[str, ...], str], int] = {}
    for position, entry in enumerate(data["rules"], start=1):
        rule = checked_rule(entry, position)
        if rule.key in seen:
            raise MappingError(
                _("règles n° %(a)s et %(b)s : mêmes code, nomenclature et conditions")
                % {"a": seen[rule.key], "b": position}
            )
        seen[rule.key] = position
        rules.append(
            {
                "naf": rule.naf,
                "nomenclature": rule.nomenclature,
                "legal_forms": list(rule.legal_forms),
                "ess": rule.ess,
                "category_id": rule.category,
                "activity": rule.activity,
                "rationale_fr": rule.rationale,
                "rationale_en": str(entry.get("rationale_en") or "").strip(),
            }
        )
    return {
        "version": version,
        "sha256": hashlib.sha256(data_bytes).hexdigest(),
        "rules": rules,
    }


# --- into the database -------------------------------------------------------------------


def _stored_key(obj: Any) -> tuple[str, str, tuple[str, ...], str]:
    return rule_key(obj.naf, obj.nomenclature, obj.legal_forms or [], obj.ess or "")


def sync_rules(
    apps: Apps | None = None, path: Path | None = None, force: bool = False
) -> dict[str, Any]:
    """Copy the mapping file into the table; idempotent (a second run writes nothing).

    A rule staff edited (`edited_at` set) is kept as they left it and listed in `kept`,
    unless `force`. Rules that came from an earlier version of the file and left it are
    deleted, unless edited; rules added in the administration stay. Returns the counts and
    `changed` (whether the table changed: the series must then be rebuilt)."""
    registry = apps or global_apps
    rule_model: Any = registry.get_model("registers", "NafRule")
    load_model: Any = registry.get_model("registers", "MappingLoad")
    data = read_mapping(path)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "removed": 0}
    kept: list[str] = []
    with transaction.atomic():
        stored = {_stored_key(obj): obj for obj in rule_model.objects.all()}
        wanted = set()
        for row in data["rules"]:
            key = rule_key(row["naf"], row["nomenclature"], row["legal_forms"], row["ess"])
            wanted.add(key)
            obj = stored.get(key)
            if obj is None:
                rule_model.objects.create(origin="file", **row)
                counts["created"] += 1
                continue
            if obj.edited_at is not None and not force:
                kept.append(str(obj))
                continue
            changed = [name for name in RULE_FIELDS if getattr(obj, name) != row[name]]
            if obj.origin != "file":
                changed.append("origin")
            if obj.edited_at is not None:
                changed.append("edited_at")
            if not changed:
                counts["unchanged"] += 1
                continue
            for name in RULE_FIELDS:
                setattr(obj, name, row[name])
            obj.origin, obj.edited_at = "file", None
            obj.save(update_fields=changed)
            counts["updated"] += 1
        for key, obj in stored.items():
            if key in wanted or obj.origin != "file":
                continue
            if obj.edited_at is not None and not force:
                kept.append(str(obj))
                continue
            obj.delete()
            counts["removed"] += 1
        changed_table = bool(counts["created"] or counts["updated"] or counts["removed"])
        last = load_model.objects.order_by("-loaded_at", "-id").first()
        if changed_table or last is None or last.file_sha256 != data["sha256"]:
            load_model.objects.create(
                version=data["version"],
                file_sha256=data["sha256"],
                loaded_at=timezone.now(),
                counts=counts,
            )
    return {
        "version": data["version"],
        "rules": len(data["rules"]),
        **counts,
        "kept_edited": kept,
        "changed": changed_table,
    }


def export_rules(path: Path, version: str) -> int:
    """Write the table as it is in the database, in the project file's schema."""
    from .models import NafRule

    rules = []
    for obj in NafRule.objects.order_by("nomenclature", "naf", "id"):
        entry: dict[str, Any] = {"naf": obj.naf, "nomenclature": obj.nomenclature}
        if obj.legal_forms:
            entry["legal_forms"] = list(obj.legal_forms)
        if obj.ess:
            entry["ess"] = obj.ess
        entry["category"] = obj.category_id
        entry["activity"] = obj.activity
        entry["rationale_fr"] = obj.rationale_fr
        entry["rationale_en"] = obj.rationale_en
        rules.append(entry)
    document = {
        "version": version,
        "exported_at": datetime.date.today().isoformat(),  # noqa: DTZ011 - a calendar day
        "rules": rules,
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return len(rules)


# --- classifying -------------------------------------------------------------------------


class Classifier:
    """The most specific rule for an (activity code, legal form, ESS flag), remembered per
    distinct key (a file holds few distinct keys, a million rows)."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.by_nomenclature: dict[str, list[Rule]] = {}
        for rule in rules:
            self.by_nomenclature.setdefault(rule.nomenclature, []).append(rule)
        self._seen: dict[tuple[str, str, str, str], Rule | None] = {}

    def match(
        self, code: str, nomenclature: str, legal_form: str = "", ess: str = ""
    ) -> Rule | None:
        key = (code, nomenclature, legal_form, ess)
        if key in self._seen:
            return self._seen[key]
        best: Rule | None = None
        best_score: tuple[int, int, int] = (-1, -1, -1)
        for rule in self.by_nomenclature.get(nomenclature or naf.NAF_REV2, []):
            if rule.naf and not naf.is_prefix_of(rule.naf, code):
                continue
            if rule.ess and rule.ess != ess:
                continue
            form_length = 0
            if rule.legal_forms:
                matched = [f for f in rule.legal_forms if legal_form.startswith(f)]
                if not legal_form or not matched:
                    continue
                form_length = max(len(f) for f in matched)
            score = (len(rule.naf.replace(".", "")), form_length, 1 if rule.ess else 0)
            if score > best_score:
                best, best_score = rule, score
        self._seen[key] = best
        return best


def current_rules() -> list[Rule]:
    from .models import NafRule

    return [
        Rule(
            naf=obj.naf,
            nomenclature=obj.nomenclature,
            legal_forms=tuple(sorted(obj.legal_forms or [])),
            ess=obj.ess or "",
            category=obj.category_id,
            activity=obj.activity,
            rationale=obj.rationale_fr,
        )
        for obj in NafRule.objects.all()
    ]


def current_classifier() -> Classifier:
    return Classifier(current_rules())


def table_version() -> dict[str, Any]:
    """The version of the file last loaded, and whether staff changed rules since."""
    from .models import MappingLoad, NafRule

    last = MappingLoad.objects.order_by("-loaded_at", "-id").first()
    edited = NafRule.objects.filter(edited_at__isnull=False).order_by("-edited_at").first()
    added = NafRule.objects.filter(origin=NafRule.Origin.ADMIN).count()
    return {
        "version": last.version if last else None,
        "loaded_at": last.loaded_at.isoformat() if last else None,
        "edited_at": edited.edited_at.isoformat() if edited and edited.edited_at else None,
        "added_in_admin": added,
        "rules": NafRule.objects.count(),
    }
