"""One error type for everything a person can get wrong or has to wait for.

A `MaillageError` carries a stable `code` (what programs read), an HTTP `status` (4xx, or 503
for figures not computed yet) and a message for people, in the active language: French by
default, English through the apps' `locale/en/` catalogues. Each domain app subclasses it in
place (`TerritoryNotFound`, `SourceBusy`…); the API, the Django views (through
`maillage.core.middleware`) and the `maillage` command answer every subclass the same way.

A message is either text already translated by the code that raises (`gettext(...) % {...}`),
or a lazy text (`gettext_lazy`) with its `params`, rendered when it is read — so a message
written once in French reads in the language of whoever reads it.
"""

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Message = str | Promise

# Error-page headings by status; a subclass may give its own `title`.
TITLES: dict[int, Message] = {
    400: _("Demande invalide"),
    404: _("Page introuvable"),
    409: _("Action impossible pour le moment"),
    413: _("Fichier trop volumineux"),
    503: _("Service momentanément indisponible"),
}


class MaillageError(Exception):
    """Base of every error with a stable code. `str(error)` is the message for people."""

    code: str = "error"
    status: int = 400
    title: Message | None = None  # error-page heading; by default from the status
    default_message: Message = _("La demande n'a pas pu aboutir.")

    def __init__(
        self,
        message: Message | None = None,
        params: Mapping[str, Any] | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        template = self.default_message if message is None else message
        super().__init__(template)
        self.template = template
        self.params = params
        self.details = details
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status

    @property
    def message(self) -> str:
        """The message in the active language (lazy texts are translated now)."""
        text = str(self.template)
        return text % self.params if self.params else text

    def __str__(self) -> str:
        return self.message

    @property
    def heading(self) -> str:
        return str(self.title or TITLES.get(self.status, TITLES[400]))

    def as_json(self) -> dict[str, Any]:
        """`{"code", "message"}`, plus `details` when the error carries some."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = dict(self.details)
        return body


class DatabaseBusy(MaillageError):
    """The database stayed locked by another writer longer than the wait allowed (stable
    code `database-busy`, 503): SQLite has one writer at a time."""

    code = "database-busy"
    status = 503
    default_message = _(
        "La base de données est occupée par un autre traitement (un import, sans doute) : "
        "réessayez dans un instant."
    )


def as_busy(exc: BaseException) -> DatabaseBusy | None:
    """The `DatabaseBusy` that a database error means, or None when it means something else."""
    from django.db import OperationalError

    if isinstance(exc, OperationalError) and "locked" in str(exc):
        return DatabaseBusy()
    return None
