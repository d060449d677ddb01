"""End-to-end: Debian's Chromium driven by Playwright against Django's live server."""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses that otherwise.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Chromium absent (scripts/system-packages.sh test)"
    ),
]


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        page = context.new_page()
        yield page
        context.close()
        browser.close()


def test_search_then_territory_page_with_map(referential, live_server, page):
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/")
    # Keyboard first: the first Tab stop is the skip link, and it leads to the content.
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "document.activeElement.className + '|' + document.activeElement.getAttribute('href')"
    )
    assert focused == "skip-link|#contenu"
    expect(page.locator(".skip-link")).to_be_visible()

    search = page.get_by_label("Rechercher un territoire")
    search.fill("saint etienne")
    search.press("Enter")
    page.wait_for_url("**/territoires/?q=saint+etienne")
    results = page.locator("ol.results > li > a")
    expect(results.first).to_have_text("Saint-Étienne")
    results.first.click()

    page.wait_for_url("**/territoires/com:42218/")
    expect(page.locator("h1")).to_contain_text("Saint-Étienne")
    expect(page.locator(".population")).to_contain_text("Population municipale 2023 :")
    # The outline, drawn by Leaflet as an SVG path once the GeoJSON has loaded.
    expect(page.locator("#carte[data-loaded=true]")).to_have_count(1)
    outline = page.locator(".leaflet-overlay-pane path")
    expect(outline.first).to_be_visible()
    box = outline.first.bounding_box()
    assert box is not None
    assert box["width"] > 100
    assert box["height"] > 100

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "territoire-saint-etienne.png"), full_page=True)


def test_live_results_and_departement_map(referential, live_server, page):
    from playwright.sync_api import expect

    # htmx enhancement: results appear while typing, without submitting the form.
    page.goto(f"{live_server.url}/territoires/")
    page.get_by_label("Rechercher un territoire").press_sequentially("rennes", delay=30)
    expect(page.locator("#resultats ol.results > li > a").first).to_have_text("Rennes")
    assert "q=rennes" in page.url  # hx-push-url keeps the address shareable
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "recherche-rennes.png"), full_page=True)

    page.goto(f"{live_server.url}/territoires/dep:42/")
    expect(page.locator("#carte[data-loaded=true]")).to_have_count(1)
    # Outline of the département plus one light path per commune.
    # (a locator, not wait_for_function: its string is evaluated, which the CSP refuses)
    page.locator(".leaflet-overlay-pane path").nth(100).wait_for(state="attached")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "departement-loire.png"), full_page=False)
