"""The Lyon portrait's platform footprint in Chromium, on a laptop and on a phone."""

import datetime
import os
from pathlib import Path

import pytest

from maillage.indicators.services import recompute
from maillage.portal.tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from maillage.sources.harvest import ImportRequest, run_import
from maillage.sources.tests.footprintfiles import (
    BORDEAUX,
    LYON_3E,
    LYON_4E,
    LYON_8E,
    listing,
    write_listings,
)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium absent"),
]


def test_lyon_footprint_fits_a_laptop_and_a_phone(referential, live_server, tmp_path: Path):
    from playwright.sync_api import expect, sync_playwright

    rows = [
        listing(n, point, license="6938413058353" if n % 2 else "")
        for n, point in enumerate([LYON_4E, LYON_4E, LYON_3E, LYON_8E, BORDEAUX], start=1)
    ]
    path = write_listings(tmp_path / "listings.csv", rows)
    run_import(ImportRequest(backend="footprint-airbnb", path=path, source="inside-airbnb"))
    recompute(today=datetime.date(2026, 11, 26))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for width in (1366, 390):
            context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR")
            page = context.new_page()
            page.goto(f"{live_server.url}/territoires/com:69123/portrait/#empreinte-titre")
            expect(page.locator("#empreinte-titre")).to_be_visible()
            fourth = page.locator("#arrondissement-69384")
            expect(fourth).to_contain_text("Lyon 4e Arrondissement")
            # Wide tables scroll inside their box: nothing of the section goes past the
            # window's edge (other sections of the portrait are not this test's business).
            outside = page.evaluate(
                """(() => {
                  const width = document.documentElement.clientWidth;
                  return [...document.querySelectorAll('section.footprints *')]
                    .filter(e => !e.closest('.table-scroll') || e.matches('.table-scroll'))
                    .filter(e => e.getBoundingClientRect().right > width + 1)
                    .map(e => e.tagName + '.' + e.className);
                })()"""
            )
            assert outside == [], f"{width} px : {outside}"
            scrolls = page.locator("section.footprints .table-scroll")
            assert scrolls.count() >= 2
            ARTIFACTS.mkdir(exist_ok=True)
            page.locator("section.footprints").screenshot(
                path=str(ARTIFACTS / f"empreinte-lyon-{width}.png")
            )
            context.close()
        browser.close()
