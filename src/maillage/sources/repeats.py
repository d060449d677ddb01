"""Rows of one file that share a remote id.

Files repeat ids for two reasons, and neither is an error of the row:

- the same place on several rows (a table of AMAP–producer pairs lists each AMAP once per
  producer): a row identical to an earlier one **in its mapped fields** is skipped, with the
  line it repeats;
- an "id" that is not one (a GeoJSON whose features all carry the same `@id`): a row whose
  mapped fields differ from the first row of its id is a different place. It is known by its
  content instead — its name and rounded point (or commune), as for rows without an id —
  and the file notes say how many rows were so re-identified. The first row of the id keeps
  it, so a re-run of the same file finds every record again.

A row with the same content key and other values (same name and point, another address) is
rejected as a repeat: Maillage cannot tell which row says the truth.
"""

import zlib
from collections.abc import Callable, KeysView
from typing import Any

import orjson

from maillage.core.i18n import gettext as _  # per row: see core/i18n.py

from .pipeline import Prepared, content_id

MARK_BITS = 33  # 32 bits of mark, then one: the first row was not parsed
MARK_MASK = (1 << 32) - 1
UNPARSED = 1 << 32

StoredValues = Callable[[str], dict[str, Any] | None]


class SeenIds:
    """The remote ids a job has read so far: for each, its first row and a 32-bit mark of
    its mapped fields, packed in one int (a million ids cost what a million row numbers
    did).

    A first row that was not parsed (the same bytes as the row stored last time) has no mark:
    if its id comes again, the later row is compared with the stored record's values, read
    by `stored_values` (remote id → values, None when there is no record)."""

    def __init__(self, stored_values: StoredValues = lambda remote_id: None) -> None:
        self.first: dict[str, int] = {}
        self.reidentified = 0
        self.stored_values = stored_values
        self._stored: dict[str, dict[str, Any] | None] = {}

    def keys(self) -> KeysView[str]:
        return self.first.keys()

    def notes(self) -> list[str]:
        if not self.reidentified:
            return []
        return [
            _(
                "identifiant répété avec des valeurs différentes sur %(rows)s lignes : ce n'est "
                "pas un identifiant ; ces lignes sont reconnues par leur nom et leur position"
            )
            % {"rows": self.reidentified}
        ]

    def screen(self, p: Prepared) -> str:
        """What to do with a parsed row: "" keep it (its id is now seen), or the reason it is
        skipped (prefixed "skip:") or rejected."""
        mark = _mark(p)
        first = self.first.get(p.remote_id)
        if first is not None and not self._same(first, mark, p) and _can_reidentify(p):
            _reidentify(p)
            self.reidentified += 1
            first = self.first.get(p.remote_id)
        if first is None:
            unparsed = UNPARSED if p.encoded is None else 0
            self.first[p.remote_id] = p.row.number << MARK_BITS | unparsed | mark
            return ""
        line = first >> MARK_BITS
        if self._same(first, mark, p):
            return "skip:" + _(
                "ligne répétée à l'identique (mêmes valeurs que la ligne %(line)s) : ignorée"
            ) % {"line": line}
        return _(
            "ligne répétée : même identifiant que la ligne %(line)s (ou même nom au même "
            "endroit), mais d'autres valeurs ; corrigez l'une des deux"
        ) % {"line": line}

    def _same(self, first: int, mark: int, p: Prepared) -> bool:
        """Whether the row has the mapped fields of the first row of its id."""
        if not first & UNPARSED or p.encoded is None:
            return first & MARK_MASK == mark
        if p.remote_id not in self._stored:
            self._stored[p.remote_id] = self.stored_values(p.remote_id)
        return self._stored[p.remote_id] == (p.values or orjson.loads(p.encoded.imported))


def _mark(p: Prepared) -> int:
    """32 bits of the row's mapped fields; 0 for a row that was not parsed: its bytes are those
    stored for its id, so two such rows of one id are the same row (no hash needed)."""
    return 0 if p.encoded is None else zlib.crc32(p.encoded.imported) & MARK_MASK


def _can_reidentify(p: Prepared) -> bool:
    """Only a parsed row (its values known) whose id came from the file can be re-identified;
    an id built from content already is one."""
    return p.encoded is not None and not p.remote_id.startswith("auto:")


def _reidentify(p: Prepared) -> None:
    assert p.encoded is not None
    values = p.values or orjson.loads(p.encoded.imported)
    p.values = values  # a row the parsing process thought new may match a stored record
    p.fresh = False
    place = values.get("insee_code") or values.get("postcode") or ""
    p.remote_id = content_id(values.get("name", ""), values.get("lon"), values.get("lat"), place)
