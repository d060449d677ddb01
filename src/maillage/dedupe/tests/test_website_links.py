"""The pair page links a website only when it is an http(s) address, rows stored before
imports dropped the others included."""

import pytest

from maillage.catalog.models import Initiative
from maillage.catalog.services import create_initiative
from maillage.dedupe.models import DuplicatePair


@pytest.mark.django_db
def test_pair_page_links_only_http_websites(referential, admin_client):
    left = create_initiative(name="Repair café", category="repair-cafe", lon=-1.68, lat=48.11)
    right = create_initiative(name="Repair cafe", category="repair-cafe", lon=-1.68, lat=48.11)
    # As an import stored it before only http(s) addresses were kept (no validation then).
    Initiative.objects.filter(pk=left.pk).update(website="javascript:alert(1)")
    Initiative.objects.filter(pk=right.pk).update(website="https://repair.example.org/rennes")
    pair = DuplicatePair.objects.create(left=left, right=right, score=0.8)
    html = admin_client.get(f"/doublons/{pair.pk}/").content.decode()
    assert '<a href="https://repair.example.org/rennes" rel="noopener noreferrer nofollow">' in html
    assert "<td>javascript:alert(1)</td>" in html  # shown as text, never as a link
    assert 'href="javascript:' not in html
