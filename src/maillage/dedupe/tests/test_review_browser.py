"""The review of a pair by keyboard alone, in Debian's Chromium."""

import re

import pytest
from django.conf import settings

from maillage.dedupe import presenters
from maillage.dedupe.models import DuplicatePair
from maillage.dedupe.tests.test_group_decisions import queue  # noqa: F401 (fixture)
from maillage.dedupe.tests.test_review_pages import queued  # noqa: F401 (fixture)
from maillage.portal.tests.test_browser import CHROMIUM, page  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.real_data,
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium absent"),
]


@pytest.mark.django_db(transaction=True)
def test_keys_decide_and_move_to_the_next_pair(queued, live_server, page, admin_user, client):  # noqa: F811
    client.force_login(admin_user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )
    pairs = list(presenters.queue()[:2])
    page.goto(f"{live_server.url}/doublons/{pairs[0].pk}/")
    page.keyboard.press("p")  # plus tard
    page.wait_for_url(f"**/doublons/{pairs[1].pk}/")
    pairs[0].refresh_from_db()
    assert pairs[0].status == "later"
    # The buttons are reachable with Tab and pressed with Enter as well.
    page.locator("#decision button[value='not-duplicate']").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    pairs[1].refresh_from_db()
    assert pairs[1].status == "not-duplicate"


@pytest.mark.django_db(transaction=True)
def test_a_group_is_decided_by_keyboard_alone(queue, live_server, page, admin_user, client):  # noqa: F811
    """Widen the distance, then set the group apart, with Tab and Enter only; the controls
    are found by their accessible names, as a screen reader announces them."""
    client.force_login(admin_user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/doublons/")
    distance = page.get_by_label("Distance au plus entre les deux fiches")
    distance.focus()
    distance.select_option("100")
    page.keyboard.press("Tab")  # to « Regrouper »
    assert page.evaluate("document.activeElement.textContent").strip() == "Regrouper"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "distance=100" in page.url
    apart = page.get_by_role("button", name="Pas des doublons : les 3 paires de Rennes")
    merge = page.get_by_role("button", name="Fusionner les 3 paires de Rennes")
    merge.focus()
    page.keyboard.press("Tab")  # the second decision follows the first
    assert page.evaluate("document.activeElement.value") == "not-duplicate"
    assert apart.evaluate("b => b === document.activeElement")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert (
        "3 paires marquées « pas des doublons »"
        in page.locator(".messages[role=status]").inner_text()
    )
    statuses = {
        DuplicatePair.objects.get(left_id=a, right_id=b).status
        for key, (a, b) in queue.items()
        if key != "other_name"
    }
    assert statuses == {"not-duplicate"}
    reopen = page.get_by_role("button", name=re.compile("Remettre à relire le lot du"))
    reopen.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert DuplicatePair.objects.filter(status="to-review").count() == 4
