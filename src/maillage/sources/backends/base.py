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
    name: ClassVar[str]  # the BACKEND argument of `maillage import`
    label: ClassVar[str]  # French, for people
    default_licence: ClassVar[str] = ""

    def __init__(self, options: BackendOptions | None = None) -> None:
        self.options = options or BackendOptions()

    @abstractmethod
    def rows(self, path: Path) -> Iterator[RawRow]:
        """Every row of the file, in order. Raise SourceFileError (French message) as soon as
        the file proves not to be what this backend reads; never skip a row silently."""

    @abstractmethod
    def parse(self, row: RawRow) -> Candidate:
        """One row → candidate. Raise RowRejected(reason in French) for a row that cannot be
        used at all; otherwise fill what is known and put doubts in `candidate.notes`."""
