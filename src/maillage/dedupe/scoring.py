"""How alike two initiatives are, with every component of the score shown.

The score is a match weight in the manner of Fellegi and Sunter: each piece of evidence
adds or removes weight (distance, names, address, category, shared or conflicting
identifiers), and the total becomes a probability-like score between 0 and 1 through a
logistic curve. The weights are written out here, one line each, so that a person
reviewing a pair sees why it was proposed; benchmarks/dedupe.py measures what they give
(precision, recall, F1 per threshold) on a labelled set built from real records.
"""

import math
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from .names import distinctive, normalize

EARTH_RADIUS_M = 6_371_000.0
BIAS = -4.0  # the weight of no evidence: most pairs of neighbours are not duplicates
# (maximum distance in metres, weight): the first bucket that holds the distance applies.
DISTANCE_WEIGHTS = [(5, 5.0), (15, 4.0), (40, 3.0), (80, 2.5), (150, 1.5), (300, 0.5),
                    (500, -1.5)]  # fmt: skip
FAR_WEIGHT = -4.0
SAME_CATEGORY, SAME_FAMILY = 1.0, -1.5
SAME_COMMUNE = 0.5
STRONG_IDENTIFIERS = ("siret", "rna", "osm_id")
SHARED_STRONG, CONFLICTING_STRONG = 6.0, -6.0
SHARED_WEAK = 3.0  # website host, phone number


@dataclass(slots=True)
class Record:
    """What matching needs to know of one initiative."""

    id: int
    name: str
    lon: float | None = None
    lat: float | None = None
    commune: str = ""  # territory id
    commune_name: str = ""
    category: str = ""
    family: str = ""
    address: str = ""
    siret: str = ""
    rna: str = ""
    osm_id: str = ""
    website: str = ""  # host, lower case, without www.
    phone: str = ""  # digits only, national form
    sources: tuple[str, ...] = ()
    # Filled once by prepare():
    normalized: str = ""
    distinctive: str = ""
    address_key: str = ""


@dataclass
class Scored:
    left: int
    right: int
    score: float
    components: dict[str, Any] = field(default_factory=dict)


def prepare(record: Record) -> Record:
    record.normalized = normalize(record.name)
    record.distinctive = distinctive(record.name, record.commune_name)
    record.address_key = normalize(record.address)
    return record


def distance_m(a: Record, b: Record) -> float | None:
    if a.lon is None or a.lat is None or b.lon is None or b.lat is None:
        return None
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlon = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _distance_weight(distance: float | None, a: Record, b: Record) -> float:
    if distance is None:
        return 0.5 if a.commune and a.commune == b.commune else -2.0
    for limit, weight in DISTANCE_WEIGHTS:
        if distance <= limit:
            return weight
    return FAR_WEIGHT


def _name_weight(a: Record, b: Record) -> tuple[float, float | None]:
    """Weight and similarity (0–1) of what distinguishes the two names."""
    if not a.distinctive and not b.distinctive:
        return 0.0, None  # both say only « boîte à livres » (in their commune): no evidence
    if not a.distinctive or not b.distinctive:
        return 0.0, 0.0  # one name is generic: sources name places differently, no evidence
    similarity = fuzz.token_set_ratio(a.distinctive, b.distinctive) / 100
    if similarity >= 0.95:
        return 3.0, similarity
    if similarity >= 0.85:
        return 2.0, similarity
    if similarity >= 0.7:
        return 0.5, similarity
    if similarity >= 0.5:
        return -1.5, similarity
    return -3.0, similarity


def _address_weight(a: Record, b: Record) -> tuple[float, float | None]:
    if not a.address_key or not b.address_key:
        return 0.0, None
    similarity = fuzz.token_sort_ratio(a.address_key, b.address_key) / 100
    if similarity >= 0.9:
        return 2.0, similarity
    if similarity < 0.5:
        return -1.0, similarity
    return 0.0, similarity


def score_pair(a: Record, b: Record) -> Scored:
    distance = distance_m(a, b)
    parts: dict[str, float] = {"bias": BIAS, "distance": _distance_weight(distance, a, b)}
    parts["name"], name_similarity = _name_weight(a, b)
    parts["address"], address_similarity = _address_weight(a, b)
    if a.commune and a.commune == b.commune:
        parts["commune"] = SAME_COMMUNE
    category = "unclassified"
    if a.category and b.category:
        category = "same" if a.category == b.category else "family"
        parts["category"] = SAME_CATEGORY if category == "same" else SAME_FAMILY
    shared: list[str] = []
    conflicting: list[str] = []
    for key in STRONG_IDENTIFIERS:
        left, right = getattr(a, key), getattr(b, key)
        if left and right:
            (shared if left == right else conflicting).append(key)
    for key in ("website", "phone"):
        if getattr(a, key) and getattr(a, key) == getattr(b, key):
            shared.append(key)
    parts["identifiers"] = sum(
        SHARED_STRONG if k in STRONG_IDENTIFIERS else SHARED_WEAK for k in shared
    ) + CONFLICTING_STRONG * len(conflicting)
    weight = sum(parts.values())
    components = {
        "weight": round(weight, 2),
        "parts": {k: v for k, v in parts.items() if v},
        "distance_m": None if distance is None else round(distance, 1),
        "name_similarity": None if name_similarity is None else round(name_similarity, 3),
        "address_similarity": (
            None if address_similarity is None else round(address_similarity, 3)
        ),
        "category": category,
        "shared_identifiers": shared,
        "conflicting_identifiers": conflicting,
        "cross_source": bool(a.sources and b.sources and set(a.sources) != set(b.sources)),
    }
    left, right = sorted((a.id, b.id))
    return Scored(left, right, round(1 / (1 + math.exp(-weight)), 4), components)
