"""The portrait in Debian's Chromium: the map draws the member territories and the points,
and the figure shown is chosen with the keyboard alone."""

import pytest

from maillage.portal.tests.test_browser import CHROMIUM, page  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.real_data,
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium absent"),
]


@pytest.mark.django_db(transaction=True)
def test_map_loads_and_the_indicator_is_chosen_by_keyboard(demo_figures, live_server, page):  # noqa: F811
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/territoires/epci:200039204/portrait/")
    page.wait_for_selector("#carte[data-loaded='true']")
    # Sixty member communes shaded, as paths of the choropleth layer.
    assert page.locator("#carte .leaflet-overlay-pane path, #carte canvas").count() >= 1
    page.locator("#indicateur").focus()
    page.keyboard.press("End")  # the last figure of the list: creations of the last 3 years
    page.keyboard.press("Tab")  # to « Pratiques »
    page.keyboard.press("Tab")  # to « Afficher »
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "indicateur=created_3y" in page.url
    assert page.locator("#indicateur").input_value() == "created_3y"
    assert errors == []
