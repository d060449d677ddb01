"""Content-Security-Policy on every response.

Names, addresses and descriptions come from strangers (OpenStreetMap, GoGoCarto, CSV files):
templates and scripts escape them, and this policy is the second wall should one slip
through — no inline script, no `eval`, no plugin, no foreign origin. Scripts and styles are
static files served by the site itself; data reaches scripts through `json_script` or
`data-` attributes.

A view may replace directives for its own response with `csp_override`; none needs to today
(the API's Swagger UI, served from ninja's static files, works under the site's policy).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# Directive → sources. `style-src` stays 'self' only: Leaflet and the Django admin set styles
# through the DOM (`element.style`), which CSP does not restrict, and the site's own bars are
# drawn in SVG attributes rather than `style` attributes.
BASE_POLICY: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:"),
    "font-src": ("'self'",),
    "connect-src": ("'self'",),
    "object-src": ("'none'",),
    "base-uri": ("'self'",),
    "frame-ancestors": ("'none'",),
    "form-action": ("'self'",),
}

ATTRIBUTE = "_maillage_csp"


def tile_origin(url: str) -> str:
    """The CSP source of a Leaflet tile URL template: `https://{s}.tile.example.org/{z}/…`
    → `https://*.tile.example.org` (CSP allows a wildcard only as the leftmost label)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    host = parts.netloc.rsplit("@", 1)[-1]
    if "{" in host:
        labels = host.split(".")
        last_template = max(i for i, label in enumerate(labels) if "{" in label)
        fixed = labels[last_template + 1 :]
        if len(fixed) < 2:  # a template in the registrable domain: nothing safe to allow
            return ""
        host = "*." + ".".join(fixed)
    return f"{parts.scheme}://{host}"


def site_policy() -> dict[str, tuple[str, ...]]:
    policy = dict(BASE_POLICY)
    tiles = tile_origin(getattr(settings, "MAILLAGE_TILE_URL", "") or "")
    if tiles:  # a configured base map loads its images from the tile server
        policy["img-src"] = (*policy["img-src"], tiles)
    return policy


def render_policy(policy: dict[str, tuple[str, ...]]) -> str:
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in policy.items())


def csp_override(**directives: tuple[str, ...]) -> Callable[[Any], Any]:
    """Decorator: the view's responses get these directives (`style_src=("'self'", …)`)
    in place of the site's."""
    replaced = {name.replace("_", "-"): tuple(sources) for name, sources in directives.items()}

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = view(request, *args, **kwargs)
            setattr(response, ATTRIBUTE, replaced)
            return response

        return wrapped

    return decorate


class ContentSecurityPolicyMiddleware:
    """Adds the policy to every response that does not already carry one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response.headers:
            # Built per response (a few string joins): settings changed in tests apply.
            override = getattr(response, ATTRIBUTE, None) or {}
            response.headers["Content-Security-Policy"] = render_policy(
                {**site_policy(), **override}
            )
        return response
