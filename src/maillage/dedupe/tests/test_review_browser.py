"""The review of a pair by keyboard alone, in Debian's Chromium."""

import pytest
from django.conf import settings

from maillage.dedupe import presenters
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
