import json

import pytest
from django.core.management import call_command

from maillage.catalog.models import Initiative
from maillage.sources.models import HarvestJob


@pytest.mark.django_db
def test_demo_sources_load_once_and_show_their_attribution(client, capsys):
    call_command("load-demo")
    loaded = json.loads(capsys.readouterr().out)
    first = loaded["sources"]
    assert [r["source"] for r in first] == ["bnlc", "tiers-lieux-cget-2019"]
    # The #MapLabBZH series: 120 readable versions of the map, the last of each day kept.
    assert loaded["series"][0]["source"] == "maplab-bzh"
    assert loaded["series"][0]["skipped"] == 10
    assert first[0]["outcomes"]["new"] == 2472
    # 1,512 census rows; those without a place or a name are rejected with their reason.
    assert first[1]["rows"] == 1512
    assert sum(first[1]["outcomes"].values()) == 1512
    count = Initiative.objects.count()
    call_command("load-demo")
    second = json.loads(capsys.readouterr().out)
    assert {r["status"] for r in second["sources"]} == {"up-to-date"}
    assert second["series"][0]["replaced"] == loaded["series"][0]["stored"]
    assert Initiative.objects.count() == count
    assert HarvestJob.objects.count() == 2
    page = client.get("/sources/")
    html = page.content.decode()
    assert "transport.data.gouv.fr, ODbL" in html
    assert "Licence Ouverte 2.0" in html
    data = client.get("/sources/?format=json").json()
    bnlc = next(s for s in data["sources"] if s["name"] == "bnlc")
    assert bnlc["records"] == 2472
    coworking = Initiative.objects.filter(category_id="coworking").count()
    assert coworking > 1000
    assert not Initiative.objects.exclude(contact_name="").exists()  # people's names dropped
