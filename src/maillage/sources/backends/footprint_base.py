"""The contract of a footprint backend: rows that become platform footprint figures
(`catalog.PlatformFootprint`), not initiatives.

The same engine runs them (Source → HarvestJob → HarvestItem, see sources/footprints.py):
the backend reads the file into raw rows (`rows()`, with the same limits as every backend),
then turns each batch of rows into `FootprintRow`s — a key that follows the row across runs,
the state compared with the last run, the row as it is kept, and its reasons — and, once
the file is read, hands the figures it makes (`figures()`). It never reads the database:
what it needs of the referential comes through `FootprintContext`.
"""

import datetime
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from django.utils.translation import gettext as _

from maillage.catalog.services import FootprintFigure
from maillage.territories.subdivisions import SubdivisionLocator

from ..errors import RowRejected
from ..records import Candidate, RawRow
from .base import Backend


@dataclass
class FootprintRow:
    """What a footprint backend made of one raw row."""

    row: RawRow
    key: str = ""  # follows the row across runs of the source ("" when rejected)
    state: dict[str, Any] = field(default_factory=dict)  # compared with the last run's
    kept: dict[str, Any] = field(default_factory=dict)  # the raw row as stored (redacted)
    reasons: list[str] = field(default_factory=list)
    rejected: bool = False  # rejected or skipped: counts in no figure
    skipped: bool = False
    commune_id: str = ""
    category: str = ""


@dataclass(frozen=True)
class Resolution:
    territory_id: str | None
    note: str = ""  # how it was found (an old code…), or why not


class FootprintContext(Protocol):
    """What a footprint backend may ask of the referential (built by the engine)."""

    @property
    def subdivisions(self) -> SubdivisionLocator: ...

    def locate(self, lons: Sequence[float], lats: Sequence[float]) -> list[str | None]: ...

    def resolve(self, text: str) -> Resolution: ...

    def commune_of(self, code: str) -> str | None: ...

    def name(self, territory_id: str) -> str: ...

    def population(self, territory_id: str) -> int | None: ...

    def category_exists(self, code: str) -> bool: ...

    def owners(
        self, keys: list[tuple[str, str, str, datetime.date]]
    ) -> dict[tuple[str, str, str, datetime.date], str]: ...


class FootprintBackend(Backend):
    """A backend whose rows are footprint measurements."""

    # The engine archives the source's records absent from the file (a listing no longer in
    # the snapshot); a table of figures is not a snapshot of everything.
    tracks_presence: ClassVar[bool] = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source_name = ""
        self.source_licence = ""
        self.origin = ""

    def start(
        self, ctx: FootprintContext, source_name: str, source_licence: str, origin: str
    ) -> None:
        """Before the first row: the referential, how figures name their source, and the
        short name of the import source (`PlatformFootprint.origin`)."""
        self.ctx = ctx
        self.source_name = source_name
        self.source_licence = source_licence
        self.origin = origin

    @abstractmethod
    def read(self, rows: list[RawRow]) -> list[FootprintRow]:
        """One FootprintRow per raw row, in order."""

    @abstractmethod
    def figures(self) -> list[FootprintFigure]:
        """The figures made of the rows read (after the last batch)."""

    def date_described(self) -> datetime.date | None:
        """The date the figures describe, when there is one for the whole file."""
        return None

    def final_notes(self) -> list[str]:
        """What the whole file taught, said once the last row is read (French)."""
        return []

    def parse(self, row: RawRow) -> Candidate:  # never called: the rows are not initiatives
        raise RowRejected(_("ligne d'empreinte : elle ne décrit pas une initiative"))
