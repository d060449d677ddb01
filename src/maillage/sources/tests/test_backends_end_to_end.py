"""Every backend through the whole engine, on its real file (or the hand-made OSM sample)."""

from pathlib import Path

import pytest

from maillage.catalog.models import Initiative
from maillage.sources.harvest import ImportRequest, run_import
from maillage.sources.models import HarvestItem

FIXTURES = Path(__file__).parent / "fixtures"


def _run(backend: str, path: Path, **kwargs):
    return run_import(ImportRequest(backend=backend, path=path, source=backend, **kwargs))


@pytest.mark.django_db
@pytest.mark.real_data
def test_tiers_lieux_census_drops_people_and_queues_the_untyped(raw_data):
    job = _run("tiers-lieux", raw_data / "tiers-lieux-cget-2019" / "CGET_TiersLieux_2019.csv")
    assert job.rows == 1512
    assert job.categories["coworking"] == 1118
    assert job.categories["fablab"] == 345
    assert job.categories["a-classer"] == 49
    assert job.reasons["données personnelles écartées"] > 0
    assert not Initiative.objects.exclude(contact_name="").exists()
    paris = HarvestItem.objects.filter(job=job, raw__INSEECOM="75110").first()
    assert paris is not None
    assert paris.commune_id == "com:75056"  # arrondissement code → Paris


@pytest.mark.django_db
@pytest.mark.real_data
def test_gogocarto_keeps_organisation_contacts_and_classifies_only_what_it_can(raw_data):
    job = _run("gogocarto", raw_data / "transiscope-niort-2019" / "transiscope_niort_2019.json")
    assert job.rows == 100
    assert job.outcomes["rejected"] == 0
    assert job.categories["a-classer"] == 90
    assert job.categories["amap"] == 6
    with_email = Initiative.objects.exclude(contact_email="")
    assert with_email.exists()  # the organisations' own contacts are kept
    assert not with_email.filter(contact_is_personal=True).exists()


@pytest.mark.django_db
def test_osm_unnamed_elements_get_a_readable_name(db):
    job = _run("osm", FIXTURES / "osm_overpass.json")
    built = HarvestItem.objects.filter(job=job, reasons__icontains="nom construit")
    assert built.exists()
    item = built.first()
    assert item is not None
    assert item.initiative_id is not None
    initiative = Initiative.objects.get(pk=item.initiative_id)
    assert " — " in initiative.name
    assert initiative.osm_id.startswith(("node/", "way/", "relation/"))
    # The same elements in OSM XML end with the same outcomes.
    again = _run("osm", FIXTURES / "osm_sample.osm")
    assert sum(again.outcomes.values()) == again.rows


@pytest.mark.django_db
@pytest.mark.real_data
def test_single_practice_geojson_with_category(raw_data):
    path = raw_data / "jardins-partages-toulouse" / "jardins-partages.geojson"
    job = _run("geojson", path, category="jardin-partage")
    assert job.outcomes["new"] == 12
    assert job.categories == {"jardin-partage": 12}
    assert set(Initiative.objects.values_list("commune_id", flat=True)) == {"com:31555"}


@pytest.mark.django_db
@pytest.mark.real_data
def test_bookcases_source_rejects_boxes_abroad_with_the_reason(raw_data):
    job = _run("bookcases", raw_data / "boites-a-livres-zonelivre" / "bookcases.geojson")
    assert job.rows == 8649
    assert job.categories == {"boites-a-livres": job.outcomes["new"]}
    assert job.outcomes["rejected"] == job.reasons["hors de France"]
    assert 0 < job.outcomes["rejected"] < 100
