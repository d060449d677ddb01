import csv
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from maillage.catalog.models import Initiative, PlatformFootprint
from maillage.catalog.services import create_initiative, record_footprint, update_initiative
from maillage.territories.selectors import resolve_commune_code

pytestmark = pytest.mark.django_db

RENNES = {"lon": -1.6778, "lat": 48.1173}
AT_SEA = {"lon": -5.5, "lat": 46.5}  # Bay of Biscay


def messages(error: ValidationError) -> str:
    return " ".join(m for ms in error.message_dict.values() for m in ms)


def test_the_commune_comes_from_the_point(typology):
    initiative = create_initiative(
        name="Repair café du Colombier",
        category="repair-cafe",
        secondary_categories=["don-objets"],
        exchange_modes=["don", "coproduction"],
        **RENNES,
    )
    assert initiative.commune_id == "com:35238"
    assert initiative.commune_method == "point"
    assert set(initiative.exchange_modes.values_list("code", flat=True)) == {"don", "coproduction"}
    update_initiative(initiative, lon=-1.5536, lat=47.2184)  # Nantes
    initiative.refresh_from_db()
    assert initiative.commune_id == "com:44109"
    with pytest.raises(ValueError, match="derived"):
        create_initiative(name="x", category="amap", commune="com:35238")


def test_a_point_at_sea_is_refused_in_french(typology):
    with pytest.raises(ValidationError) as caught:
        create_initiative(name="Épave", category="troc", **AT_SEA)
    assert "ne tombent dans aucune commune française" in messages(caught.value)
    assert "hors de France ou en mer" in messages(caught.value)
    assert not Initiative.objects.exists()


def test_swapped_coordinates_get_a_hint(typology):
    with pytest.raises(ValidationError) as caught:
        create_initiative(name="Inversé", category="troc", lon=48.1173, lat=-1.6778)
    assert "semblent inversées" in messages(caught.value)


def test_without_a_point_the_declared_insee_code_places_it(typology):
    initiative = create_initiative(name="AMAP de Rennes", category="amap", insee_code="35238")
    assert (initiative.commune_id, initiative.commune_method) == ("com:35238", "insee")
    # An old code (merged commune, still used by the BNLC) resolves to the current commune.
    old = create_initiative(name="Aire", category="covoiturage", insee_code="14185")
    assert old.commune_id == "com:14514"
    nowhere = create_initiative(name="Projet sans lieu", category="amap", status="projet")
    assert nowhere.commune is None
    with pytest.raises(ValidationError) as caught:
        create_initiative(name="x", category="amap", insee_code="99999")
    assert "ne désigne aucune commune connue" in messages(caught.value)


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"siret": "1234567890123"}, "siret", "14 chiffres"),
        ({"siret": "44306184100048"}, "siret", "clé de contrôle"),
        ({"rna": "W12345678"}, "rna", "W"),
        ({"rna": "X351000123"}, "rna", "W"),
        ({"osm_id": "n123"}, "osm_id", "node/123"),
        ({"postcode": "3500"}, "postcode", "5 chiffres"),
        ({"lon": -1.6}, "lat", "aucune des deux"),
        ({"contact_email": "jeanne@example.org"}, "contact_legal_basis", "base légale"),
        ({"status": "actif", "closed_on": dt.date(2020, 1, 1)}, "status", "Fermé"),
    ],
)
def test_invalid_fields_are_refused(typology, fields, field, text):
    with pytest.raises(ValidationError) as caught:
        create_initiative(name="Test", category="amap", **fields)
    assert field in caught.value.message_dict
    assert text in messages(caught.value)


def test_valid_identifiers_are_normalised(typology):
    initiative = create_initiative(
        name="Ressourcerie",
        category="ressourcerie",
        siret="443 061 841 00047",
        rna="w351000123",
        osm_id="node/42",
        insee_code="35238",
        contact_email="contact@ressourcerie.example",
        contact_is_personal=False,
    )
    assert (initiative.siret, initiative.rna) == ("44306184100047", "W351000123")
    # La Poste's establishments follow another rule (digit sum multiple of 5).
    update_initiative(initiative, siret="35600000049837")


def test_main_category_is_not_also_secondary(typology):
    with pytest.raises(ValidationError, match="catégorie secondaire"):
        create_initiative(name="x", category="amap", secondary_categories=["amap"])


def bnlc_rows(raw_data, codes_prefix: str, limit: int) -> list[dict[str, str]]:
    with (raw_data / "bnlc-covoiturage" / "bnlc.csv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["insee"].startswith(codes_prefix)]
    return rows[:limit]


@pytest.mark.real_data
def test_real_carpooling_places_land_in_their_declared_communes(typology, raw_data):
    rows = bnlc_rows(raw_data, "35", 12) + bnlc_rows(raw_data, "14185", 1)
    assert len(rows) == 13
    matched = []
    for row in rows:
        initiative = create_initiative(
            name=row["nom_lieu"],
            category="covoiturage",
            exchange_modes=["usage-partage"],
            lon=float(row["Xlong"]),
            lat=float(row["Ylat"]),
            insee_code=row["insee"],
            address=row["ad_lieu"],
            location_precision="exact",
            status="actif" if row["ouvert"] == "true" else "en-sommeil",
            last_verified_on=dt.date.fromisoformat(row["date_maj"]),
            source_name="Base nationale des lieux de covoiturage (BNLC)",
            source_url="https://github.com/etalab/transport-base-nationale-covoiturage",
            source_licence="ODbL",
        )
        declared = resolve_commune_code(row["insee"])
        assert declared is not None, row["insee"]
        matched.append(initiative.commune_id == declared.territory.id)
        assert initiative.commune_method == "point"
    assert all(matched), [r["id_lieu"] for r, ok in zip(rows, matched, strict=True) if not ok]
    assert Initiative.objects.filter(category="covoiturage").count() == 13


def test_platform_footprints_are_unique_per_platform_territory_metric_and_date(referential):
    key = {
        "platform": "BlaBlaCar",
        "territory_id": "com:35238",
        "metric": "trajets-depart",
        "date": dt.date(2025, 1, 1),
    }
    PlatformFootprint.objects.create(value=1200, source_name="Registre de preuve", **key)
    duplicate = PlatformFootprint(value=1300, source_name="Registre de preuve", **key)
    with pytest.raises(ValidationError, match="existe déjà"):
        duplicate.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()
    footprint, created = record_footprint(
        platform="BlaBlaCar",
        territory="com:35238",
        metric="trajets-depart",
        date=dt.date(2025, 1, 1),
        value=1300,
        source_name="Registre de preuve",
    )
    assert not created
    assert PlatformFootprint.objects.get().value == 1300
