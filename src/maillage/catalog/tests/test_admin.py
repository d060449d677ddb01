import re

import pytest
from django.urls import reverse

from maillage.catalog.models import Category, Initiative
from maillage.catalog.services import create_initiative

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "name": "Repair café de Rennes",
        "description": "",
        "category": "repair-cafe",
        "secondary_categories": ["don-objets"],
        "exchange_modes": ["don"],
        "counterpart": "aucune",
        "carrier": "association",
        "network": "Repair Café",
        "status": "actif",
        "published": "on",
        "lon": "-1.6778",
        "lat": "48.1173",
        "location_precision": "address",
        "address": "Place de la Mairie",
        "postcode": "35000",
        "contact_is_personal": "on",
        "contact_legal_basis": "",
        "source_name": "Saisie",
        # The activity reports' inline (maillage.catalog.activity), left empty.
        "activity_reports-TOTAL_FORMS": "0",
        "activity_reports-INITIAL_FORMS": "0",
    }
    for key in (
        "created_on",
        "opened_on",
        "closed_on",
        "first_seen_on",
        "last_verified_on",
        "insee_code",
        "website",
        "siret",
        "rna",
        "osm_id",
        "contact_name",
        "contact_email",
        "contact_phone",
        "source_url",
        "source_licence",
    ):
        data.setdefault(key, "")
    data.update(overrides)
    return data


def test_add_then_edit_through_the_admin_derives_the_commune_and_keeps_history(
    typology, admin_client_fr, staff
):
    add_url = reverse("admin:catalog_initiative_add")
    page = admin_client_fr.get(add_url).content.decode()
    assert "donnée personnelle" in page
    assert 'name="commune"' not in page  # derived, never typed
    response = admin_client_fr.post(add_url, form_data())
    assert response.status_code == 302, response.context["adminform"].form.errors
    initiative = Initiative.objects.get()
    assert initiative.commune_id == "com:35238"
    assert initiative.commune_method == "point"
    assert initiative.history.get().history_user == staff

    change_url = reverse("admin:catalog_initiative_change", args=[initiative.pk])
    page = admin_client_fr.get(change_url).content.decode()
    assert "Rennes (com:35238)" in page
    response = admin_client_fr.post(
        change_url,
        form_data(
            status="en-sommeil",
            lon="-1,5536",
            lat="47,2184",
            secondary_categories=["don-objets", "troc"],
        ),
    )
    assert response.status_code == 302
    initiative.refresh_from_db()
    assert initiative.commune_id == "com:44109"  # Nantes, French decimal commas accepted

    history = admin_client_fr.get(
        reverse("admin:catalog_initiative_history", args=[initiative.pk])
    ).content.decode()
    assert "camille" in history
    assert re.search(
        r"<strong>Statut:</strong>\s*actif\s*&nbsp;&rarr;&nbsp;&nbsp;en-sommeil", history
    )
    assert "<strong>Catégories secondaires:</strong>" in history
    assert initiative.history.count() == 2  # one record per save, many-to-many included
    latest = initiative.history.first()
    delta = latest.diff_against(latest.prev_record)
    assert set(delta.changed_fields) == {"status", "lon", "lat", "secondary_categories"}
    assert (latest.prev_record.commune_id, latest.commune_id) == ("com:35238", "com:44109")
    assert latest.history_user == staff


def test_the_admin_refuses_a_point_at_sea_with_the_message(typology, admin_client_fr):
    response = admin_client_fr.post(
        reverse("admin:catalog_initiative_add"), form_data(lon="-5.5", lat="46.5")
    )
    assert response.status_code == 200
    assert "ne tombent dans aucune commune française" in response.content.decode()
    assert not Initiative.objects.exists()


def test_changelist_filters_search_and_no_n_plus_one(
    typology, admin_client_fr, django_assert_max_num_queries
):
    for i in range(12):
        create_initiative(
            name=f"Boîte à livres {i}",
            category="boites-a-livres",
            lon=-1.6778 + i / 1000,
            lat=48.1173,
        )
    url = reverse("admin:catalog_initiative_changelist")
    with django_assert_max_num_queries(12):
        page = admin_client_fr.get(url).content.decode()
    assert page.count("Boîte à livres") >= 12
    assert "Ille-et-Vilaine" in page  # département filter lists only used départements
    assert "Mobilité partagée" in page  # family filter
    found = admin_client_fr.get(url, {"q": "Rennes"}).context["cl"].result_count
    assert found == 12
    filtered = admin_client_fr.get(url, {"commune__departement__id__exact": "dep:35"})
    assert filtered.context["cl"].result_count == 12


def test_typology_is_read_only_in_the_admin(typology, admin_client_fr):
    assert admin_client_fr.get(reverse("admin:catalog_category_add")).status_code == 403
    page = admin_client_fr.get(reverse("admin:catalog_category_changelist")).content.decode()
    assert "Covoiturage" in page
    response = admin_client_fr.get(reverse("admin:catalog_category_change", args=["amap"]))
    assert response.status_code == 200  # view only
    assert Category.objects.get(code="amap").label_fr == "AMAP"
