"""HEAD is answered wherever GET is (link checkers, monitoring and proxies send it): a 405
told them the page did not exist."""

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/sources/", "/territoires/?q=Rennes"])
def test_pages_answer_head_like_get(client, url):
    get, head = client.get(url), client.head(url)
    assert get.status_code == 200
    assert head.status_code == 200
    assert head["Content-Type"] == get["Content-Type"]
