"""What a backend hands to the harvest engine: the raw row, then a parsed candidate."""

import datetime
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RawRow:
    number: int  # 1-based position in the file (data line or feature), for people
    remote_id: str | None  # the source's own stable identifier, when it has one
    data: dict[str, Any]  # the row exactly as received, JSON-serialisable


@dataclass
class Candidate:
    """A parsed row, in the catalogue's vocabulary. Empty strings and None mean "not given".

    Backends fill what their format carries; the engine then checks coordinates and codes,
    places the row in its commune, classifies it and drops personal data.
    """

    name: str = ""
    description: str = ""
    lon: float | None = None  # WGS84; backends convert Lambert-93 themselves (see coords.py)
    lat: float | None = None
    location_precision: str = ""  # exact / address / street / commune / unknown
    address: str = ""
    postcode: str = ""
    city: str = ""
    insee_code: str = ""  # as declared by the source; checked against the point later
    website: str = ""
    siret: str = ""
    rna: str = ""
    osm_id: str = ""
    network: str = ""  # national network or brand
    status: str = ""  # projet / actif / en-sommeil / ferme, or "" when the source says nothing
    created_on: datetime.date | None = None
    opened_on: datetime.date | None = None
    closed_on: datetime.date | None = None
    source_updated_on: datetime.date | None = None  # the source's own "last update" date
    category: str = ""  # typology code proposed by the backend, "" when it cannot tell
    category_rule: str = ""  # the rule that chose it, in words ("TYPO = … → fablab")
    secondary_categories: list[str] = field(default_factory=list)
    exchange_modes: list[str] = field(default_factory=list)
    carrier: str = ""
    counterpart: str = ""
    contact_name: str = ""  # personal data: dropped by the engine unless the mapping keeps it
    contact_email: str = ""
    contact_phone: str = ""
    # The source describes organisations, and its contacts are theirs (GoGoCarto, OSM): kept.
    contact_is_organisation: bool = False
    notes: list[str] = field(default_factory=list)  # what parsing fixed or doubts, in French
    extra: dict[str, Any] = field(default_factory=dict)  # other source fields worth keeping
