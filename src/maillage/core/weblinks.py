"""Which addresses may become a link: only absolute http(s) URLs.

A website comes from strangers; `javascript:`, `data:` or `vbscript:` in an `href` runs or
shows whatever it carries when clicked. Browsers drop tabs and line breaks inside a URL and
spaces around it (`java\\tscript:` is `javascript:`), so any control character or space makes
a value unfit rather than being cleaned here.
"""

import re

_HTTP_URL = re.compile(r"https?://[^\s/?#@\\]+(?:[/?#]\S*)?", re.IGNORECASE | re.ASCII)
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def http_url(value: object) -> str:
    """`value` when it is an absolute http(s) URL with a host, else ""."""
    if not isinstance(value, str) or len(value) > 2000 or _CONTROL.search(value):
        return ""
    return value if _HTTP_URL.fullmatch(value) else ""


def url_scheme(value: str) -> str:
    """The scheme a browser would read in `value` (lower case, tabs and line breaks dropped
    as browsers do), or "" when there is none."""
    found = _SCHEME.match(re.sub(r"[\t\n\r]", "", value.strip()))
    return found.group(1).lower() if found else ""
