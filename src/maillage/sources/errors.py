"""Errors of an import. A file error fails the whole job and changes nothing; a row error
rejects that row only, with a reason a person understands."""

from maillage.core.errors import MaillageError


class SourceFileError(MaillageError):
    """The file is not what it claims to be (binary, truncated, an HTML error page, missing
    required columns…). Stable code `source-file-invalid`; the message is in French."""

    code = "source-file-invalid"


class RowRejected(MaillageError):
    """One row cannot be imported; `str(exc)` is the reason, in French."""

    code = "row-rejected"


class RowSkipped(RowRejected):
    """One row is read but not imported, for a stated reason that is not a fault of the row:
    the record is out of what the source's import keeps (a dissolved association, an
    association whose purpose is no practice of the typology). Its outcome is « ignorée »
    (skipped), not « rejetée »; `str(exc)` is the reason, in French."""

    code = "row-skipped"
