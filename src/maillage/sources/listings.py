"""Short-term rental listings counted per commune (and per municipal arrondissement inside
Paris, Lyon and Marseille) into footprint figures. Pure: no database.

A listing counts once in its commune: every listing; the entire homes (`Entire home/apt`);
those available more than 90 and more than 120 nights in the next 365 days (the caps of a
main residence: 120 nights, which the loi Le Meur of 19 November 2024 lets a commune lower
to 90); those with a registration number (13 characters whose first 5 are a commune's
INSEE code), and apart those with a number of that shape whose first 5 digits are no
commune's code (`1234567890123`, `0693861900057`), and those whose registration field holds
a mention without a number (exemption, mobility lease…); those of hosts who have several
listings in the file's area (`calculated_host_listings_count` > 1).
"""

import datetime
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from maillage.catalog import footprint_metrics as m
from maillage.catalog.services import FootprintFigure

ENTIRE_HOME = "Entire home/apt"
ROOM_TYPES = (ENTIRE_HOME, "Private room", "Shared room", "Hotel room")
CAPS = ((90, m.ENTIRE_OVER_90), (120, m.ENTIRE_OVER_120))

STORED_UNIT = "annonces"  # stored as data, in French (pages translate the measure's unit)
NUMBER = "numero"  # a registration number (13 characters, an INSEE code first)
INVALID = "numero-invalide"  # the same shape, but its first 5 digits are no commune's code
MENTION = "mention"  # text without a number (« Exempt - hotel-type listing », « bail mobilité »)

# 5 characters of an INSEE code, 6 digits, a 2-character key (6938113058353, 33063001366CB).
_REGISTRATION = re.compile(r"(?<![0-9A-Z])((?:\d{5}|2[AB]\d{3})\d{6}[0-9A-Z]{2})(?![0-9A-Z])")
# Spaces, dots or dashes inside the number (« 69 381 130 583 53 », « 69381130583-AB »).
_DIGIT_SEPARATORS = re.compile(r"(?<=\d)[ .\-](?=\d)")
_KEY_SEPARATOR = re.compile(r"(?<=\d)[ .\-](?=[0-9A-Z]{2}(?![0-9A-Z]))")


def registration(text: str) -> tuple[str, str]:
    """(kind, number): NUMBER with the number found in the text (spaces, dots and dashes
    between digits ignored), MENTION for other text, ("", "") when empty."""
    text = text.strip()
    if not text:
        return "", ""
    found = _REGISTRATION.search(_KEY_SEPARATOR.sub("", _DIGIT_SEPARATORS.sub("", text.upper())))
    if found:
        return NUMBER, found.group(1)
    return MENTION, ""


@dataclass(frozen=True)
class Listing:
    commune_id: str
    subdivision: str  # arrondissement code, "" when none
    entire: bool
    availability: int | None  # nights available in the next 365 days
    registration: str  # NUMBER, MENTION or ""
    multi_host: bool


class ListingCounts:
    """Counts per commune and per arrondissement, as listings are added."""

    def __init__(self) -> None:
        self.communes: dict[str, Counter[str]] = defaultdict(Counter)
        self.subdivisions: dict[str, Counter[str]] = defaultdict(Counter)

    def add(self, listing: Listing) -> None:
        counts = self.communes[listing.commune_id]
        parts = [counts]
        if listing.subdivision:
            parts.append(self.subdivisions[listing.subdivision])
        for c in parts:
            c[m.LISTINGS] += 1
            if listing.entire:
                c[m.ENTIRE_HOMES] += 1
                for nights, metric in CAPS:
                    if listing.availability is not None and listing.availability > nights:
                        c[metric] += 1
            if listing.registration == NUMBER:
                c[m.WITH_NUMBER] += 1
            elif listing.registration == INVALID:
                c[m.INVALID_NUMBER] += 1
            elif listing.registration == MENTION:
                c[m.WITH_MENTION] += 1
            if listing.multi_host:
                c[m.MULTI_HOST] += 1

    def figures(
        self,
        *,
        platform: str,
        date: datetime.date,
        category: str | None,
        source_name: str,
        source_licence: str,
        notes: str,
        subdivisions_of: Callable[[str], list[str]],
    ) -> list[FootprintFigure]:
        """One figure per commune with listings and per stored measure (zeros included: the
        file covers the commune); a commune with arrondissements carries each measure for
        each of them (zeros included too)."""
        figures = []
        for commune_id in sorted(self.communes):
            counts = self.communes[commune_id]
            parts = subdivisions_of(commune_id)
            for metric in m.METRICS:
                breakdown: dict[str, float] = {
                    code: self.subdivisions[code][metric] for code in parts
                }
                figures.append(
                    FootprintFigure(
                        platform=platform,
                        territory_id=commune_id,
                        metric=metric,
                        date=date,
                        value=counts[metric],
                        unit=STORED_UNIT,
                        category_id=category,
                        breakdown=breakdown,
                        source_name=source_name,
                        source_licence=source_licence,
                        notes=notes,
                    )
                )
        return figures


class ListingArea:
    """The communes a file covers, told by its own points, never by spelling.

    Inside Airbnb files one city's listings, each with its neighbourhood (`neighbourhood_group`
    when the file has it — Bordeaux's communes, their accents lost — else `neighbourhood`:
    Lyon's arrondissements). A neighbourhood belongs to the commune (and arrondissement) where
    most of its points fall; the file's area is those communes. Airbnb blurs points by up to
    ~150 m, so a few listings of the city fall just across its limit: counting them in the
    neighbouring commune would give that commune a tiny, false figure (it is not in the file's
    area). Such a listing is counted in its neighbourhood's commune instead, and said.
    """

    def __init__(self) -> None:
        self.commune_votes: dict[str, Counter[str]] = defaultdict(Counter)
        self.part_votes: dict[str, Counter[str]] = defaultdict(Counter)
        self.commune_of_label: dict[str, str] = {}
        self.part_of_label: dict[str, str] = {}
        self.communes: set[str] = set()

    def add(self, label: str, part_label: str, commune: str | None, part: str | None) -> None:
        if label and commune:
            self.commune_votes[label][commune] += 1
        if part_label and part:
            self.part_votes[part_label][part] += 1

    def finish(self) -> None:
        self.commune_of_label = {
            label: votes.most_common(1)[0][0] for label, votes in self.commune_votes.items()
        }
        self.part_of_label = {
            label: votes.most_common(1)[0][0] for label, votes in self.part_votes.items()
        }
        self.communes = set(self.commune_of_label.values())
