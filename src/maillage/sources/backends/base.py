"""The backend contract: a backend only reads a file into raw rows and parses one row.

Everything else — error isolation per row, batched writes, dry-run, upsert by (source,
remote id), archiving, locking, locating, classifying, dropping personal data — belongs to
the harvest engine (maillage.sources.harvest).
"""

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ..records import Candidate, RawRow


@dataclass
class BackendOptions:
    mapping: dict[str, Any] = field(default_factory=dict)  # declarative column mapping
    category: str = ""  # --category: every row of a single-practice file


class Backend(ABC):
    """What the harvest engine uses of a backend, and all it uses.

    - `name`, `label`, `default_licence`: who it is;
    - `rows(path)`: the file's raw rows, in order;
    - `parse(row)`: one raw row → a candidate;
    - after the last row, what reading and parsing taught it, kept on the job: `notes` on
      the whole file (encoding, header line, blank lines… in French) and
      `effective_mapping`, the mapping it applied (given or proposed, the values it could
      not match included), None for a backend without a mapping.
    """

    name: ClassVar[str]  # the BACKEND argument of `maillage import`
    label: ClassVar[str]  # French, for people
    default_licence: ClassVar[str] = ""

    def __init__(self, options: BackendOptions | None = None) -> None:
        self.options = options or BackendOptions()
        self.notes: list[str] = []

    @abstractmethod
    def rows(self, path: Path) -> Iterator[RawRow]:
        """Every row of the file, in order. Raise SourceFileError (French message) as soon as
        the file proves not to be what this backend reads; never skip a row silently."""

    @abstractmethod
    def parse(self, row: RawRow) -> Candidate:
        """One row → candidate. Raise RowRejected(reason in French) for a row that cannot be
        used at all; otherwise fill what is known and put doubts in `candidate.notes`."""

    @property
    def effective_mapping(self) -> dict[str, Any] | None:
        """The mapping applied to the rows read so far; None: this backend has none."""
        return None
