"""OSM tag rules → typology categories (table in `backends/data/osm_rules.json`)."""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "osm_rules.json"

# Lifecycle prefixes (https://wiki.openstreetmap.org/wiki/Lifecycle_prefix) → status.
LIFECYCLE_STATUS = {
    "disused": "ferme",
    "abandoned": "ferme",
    "demolished": "ferme",
    "removed": "ferme",
    "razed": "ferme",
    "destroyed": "ferme",
    "was": "ferme",
    "proposed": "projet",
    "planned": "projet",
    "construction": "projet",
}
# Keys that say what an object is, quoted when no rule places it.
MAIN_KEYS = (
    "amenity",
    "shop",
    "leisure",
    "office",
    "craft",
    "tourism",
    "club",
    "social_facility",
    "highway",
    "landuse",
    "building",
)


@dataclass(frozen=True)
class TagRule:
    tags: tuple[tuple[str, str], ...]  # all required; value "*" = any value but "no"
    category: str
    disputed: bool = False
    comment: str = ""

    def matches(self, tags: dict[str, str]) -> bool:
        for key, value in self.tags:
            found = tags.get(key)
            if found is None or (value == "*" and found == "no"):
                return False
            if value != "*" and value not in split_values(found):
                return False
        return True

    def text(self, prefix: str = "") -> str:
        """ "OSM amenity=public_bookcase → boites-a-livres" """
        main_key = self.tags[0][0]
        parts = [
            f"{prefix}:{key}={value}" if prefix and key == main_key else f"{key}={value}"
            for key, value in self.tags
        ]
        text = f"OSM {' + '.join(parts)} → {self.category}"
        if self.disputed:
            text += " (étiquette contestée, confiance faible)"
        return text


def split_values(value: str) -> list[str]:
    """OSM separates several values with ";"."""
    return [part.strip() for part in value.split(";")]


def load_rules(extra: Iterable[dict[str, Any]] = ()) -> list[TagRule]:
    """The table of `data/osm_rules.json`, amended by `extra` rules (same shape)."""
    table = json.loads(RULES_FILE.read_text(encoding="utf-8"))["rules"]
    rules: dict[tuple[tuple[str, str], ...], TagRule] = {}
    for spec in [*table, *extra]:
        rule = _rule_from_spec(spec)
        rules[tuple(sorted(rule.tags))] = rule
    return [rule for rule in rules.values() if rule.category]


def _rule_from_spec(spec: Any) -> TagRule:
    if not isinstance(spec, dict) or not isinstance(spec.get("tags"), dict) or not spec["tags"]:
        raise ValueError(
            f"Règle OSM invalide (attendu {{'tags': {{…}}, 'category': …}}) : {spec!r}"
        )
    tags = tuple((str(key), str(value)) for key, value in spec["tags"].items())
    return TagRule(
        tags=tags,
        category=str(spec.get("category") or ""),
        disputed=bool(spec.get("disputed", False)),
        comment=str(spec.get("comment", "")),
    )


@dataclass(frozen=True)
class Classification:
    category: str = ""
    rule: str = ""
    status: str = ""  # from a lifecycle prefix of the deciding tags
    secondary: tuple[str, ...] = ()
    disputed_comment: str = ""


def classify(tags: dict[str, str], rules: list[TagRule]) -> Classification:
    """Current tags first, then each lifecycle-prefixed view (`disused:amenity=…`)."""
    views: list[tuple[str, dict[str, str]]] = [("", tags)]
    for prefix in LIFECYCLE_STATUS:
        marker = f"{prefix}:"
        prefixed = {k[len(marker) :]: v for k, v in tags.items() if k.startswith(marker)}
        if prefixed:
            views.append((prefix, {**tags, **prefixed}))
    for prefix, view in views:
        matching = [
            (index, rule)
            for index, rule in enumerate(rules)
            if rule.matches(view) and (not prefix or rule.tags[0][0] not in tags)
        ]
        if not matching:
            continue
        _, best = min(matching, key=lambda item: (-len(item[1].tags), item[1].disputed, item[0]))
        best_tags = set(best.tags)
        secondary: list[str] = []
        for _, rule in matching:
            subsumed = set(rule.tags) <= best_tags
            if rule.category not in (best.category, *secondary) and not subsumed:
                secondary.append(rule.category)
        return Classification(
            category=best.category,
            rule=best.text(prefix),
            status=LIFECYCLE_STATUS.get(prefix, ""),
            secondary=tuple(secondary),
            disputed_comment=best.comment if best.disputed else "",
        )
    return Classification()


def lifecycle_status(tags: dict[str, str]) -> str:
    """Status said by `disused=yes`, or by lifecycle-prefixed main keys when no current main
    key is left (`disused:shop=bakery` alone)."""
    if tags.get("disused") == "yes" or tags.get("abandoned") == "yes":
        return "ferme"
    if any(key in tags for key in MAIN_KEYS):
        return ""
    for prefix, status in LIFECYCLE_STATUS.items():
        if any(f"{prefix}:{key}" in tags for key in MAIN_KEYS):
            return status
    return ""
