"""gettext for per-row code: the same messages, looked up once per process when it may.

An import's parsing child (sources/parallel.py) translates the same few dozen messages for
every row of a file, in one language from start to end. Django's gettext finds the active
language and its catalogue on every call: a tenth of a million-row import. `freeze_language`,
called in such a process only, makes this module's `gettext` remember each translation; any
other process (the web, the worker, tests) gets Django's gettext unchanged.
"""

from django.utils.translation import gettext as django_gettext

# message → translation, in a process whose language never changes (None: look up each time)
_frozen: dict[str, str] | None = None


def freeze_language() -> None:
    """This process keeps its current language to the end: remember translations."""
    global _frozen
    _frozen = {}


def gettext(message: str) -> str:
    if _frozen is None:
        return django_gettext(message)
    found = _frozen.get(message)
    if found is None:
        found = _frozen[message] = django_gettext(message)
    return found
