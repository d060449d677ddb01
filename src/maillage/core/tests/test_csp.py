"""The Content-Security-Policy and the other security headers, on every kind of response;
the templates keep to what the policy allows; only http(s) addresses become links."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory

from maillage.core.csp import ContentSecurityPolicyMiddleware, csp_override, tile_origin
from maillage.core.weblinks import http_url, url_scheme

STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def _policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/",  # a page
        "/sources/?format=json",  # a JSON twin
        "/api/v1/territories/nope",  # an API error
        "/pas-de-page-ici/",  # the 404 page
        "/admin/login/",
        "/static/indicators/portrait.js",  # whitenoise answers before the views
    ],
)
def test_every_response_carries_the_strict_policy_and_security_headers(client, url):
    response = client.get(url)
    policy = _policy(response)
    for directive, sources in STRICT.items():
        assert policy[directive] == sources, directive
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_api_docs_are_served_from_our_own_static_files(client):
    response = client.get("/api/v1/docs/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<script src="/static/ninja/swagger-ui-bundle.js">' in html
    assert "cdn" not in html.lower()
    assert _policy(response)["script-src"] == "'self'"


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://tiles.example.org/{z}/{x}/{y}.png", "https://tiles.example.org"),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("http://carto.internal:8080/{z}/{x}/{y}.png", "http://carto.internal:8080"),
        ("https://tile-{s}.example.org/{z}.png", "https://*.example.org"),
        ("https://tiles.{s}.org/{z}.png", ""),  # a wildcard over a whole top-level domain
        ("javascript:alert(1)", ""),
        ("", ""),
    ],
)
def test_tile_server_origin(url, origin):
    assert tile_origin(url) == origin


@pytest.mark.django_db
def test_a_configured_tile_server_is_allowed_for_images_only(client, settings):
    settings.MAILLAGE_TILE_URL = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    policy = _policy(client.get("/"))
    assert policy["img-src"] == "'self' data: https://*.tile.example.org"
    assert policy["script-src"] == "'self'"
    assert policy["connect-src"] == "'self'"


def test_a_view_may_replace_directives_for_its_own_responses():
    view = csp_override(style_src=("'self'", "'unsafe-inline'"))(lambda request: HttpResponse())
    middleware = ContentSecurityPolicyMiddleware(view)
    policy = _policy(middleware(RequestFactory().get("/")))
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["script-src"] == "'self'"


def _templates() -> list[Path]:
    return sorted(Path(settings.PACKAGE_DIR).glob("**/templates/**/*.html"))


def test_templates_have_no_inline_script_style_or_event_handler():
    """Inline code would be refused by the policy: scripts and styles are static files, data
    goes through `json_script` or `data-` attributes."""
    problems = []
    for path in _templates():
        text = path.read_text("utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                problems.append(f"{path.name} : {tag}")
        problems += [f"{path.name} : <style>" for _m in re.findall(r"<style\b", text)]
        problems += [f"{path.name} : {m}" for m in re.findall(r"\s(style|on[a-z]+)=", text)]
        problems += [f"{path.name} : {m}" for m in re.findall(r"\|safe\b|autoescape off", text)]
    assert len(_templates()) > 15
    assert problems == []


@pytest.mark.parametrize(
    ("value", "linked"),
    [
        ("https://repair.example.org/atelier?x=1#ici", True),
        ("HTTP://EXAMPLE.ORG", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("java\tscript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("vbscript:msgbox(1)", False),
        ("mailto:contact@example.org", False),
        ("//example.org", False),
        ("https://", False),
        ("https://exa mple.org", False),
        ("www.example.org", False),
        (None, False),
    ],
)
def test_only_absolute_http_urls_are_linked(value, linked):
    assert http_url(value) == (value if linked else "")
    rendered = Template("{% load weblinks %}{{ value|http_url }}").render(Context({"value": value}))
    assert (rendered != "") == linked


def test_scheme_as_a_browser_reads_it():
    assert url_scheme("java\nscript:alert(1)") == "javascript"
    assert url_scheme("Data:text/plain,x") == "data"
    assert url_scheme("www.example.org") == ""
