"""Issue 13 (5, 8, 9), on constructed files of the shapes met in real use: a list of places
with postcode and town but no coordinates; a list of digital-inclusion spaces naming their
facilitators; a regional list of tiers-lieux with the places' own phones and role
addresses."""

import csv
import importlib
from pathlib import Path

import pytest
from django.apps import apps as django_apps

from maillage.catalog.models import Initiative
from maillage.catalog.services import place_initiative
from maillage.sources.harvest import ImportRequest, run_import
from maillage.sources.models import HarvestItem, HarvestJob, Outcome
from maillage.sources.personal import REDACTED, email_rule, phone_rule
from maillage.territories.text import town_key

pytestmark = pytest.mark.django_db


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _run(path: Path, **kwargs) -> HarvestJob:
    return run_import(ImportRequest(backend="csv", path=path, source="test", **kwargs))


def _items(job: HarvestJob) -> dict[str, HarvestItem]:
    return {i.raw["Nom"]: i for i in HarvestItem.objects.filter(job=job) if i.raw}


# --- 5. placing by postcode and town ------------------------------------------------------

PLACES = [
    # name, postcode, town, expected commune
    ("Saint-Affrique abrégé", "12400", "St-Affrique", "com:12208"),  # 9 communes share 12400
    ("CEDEX seul", "30032", "Nîmes", "com:30189"),  # a CEDEX code, not a postcode
    ("CEDEX dans la ville", "30900", "NIMES CEDEX 9", "com:30189"),
    ("CEDEX dans le code", "32008 CEDEX 9", "Auch", "com:32013"),
    ("Désaccord", "32000", "Lombez", "com:32213"),  # 32000 is Auch's: the town wins
    ("Homonyme", "32220", "Sauveterre", "com:32418"),  # 5 Sauveterre in France, one in 32220
    ("Sainte abrégé", "69110", "Ste Foy les Lyon", "com:69202"),
    ("Arrondissement", "69003", "Lyon 3e", "com:69123"),
    ("Paris", "75015", "PARIS 15", "com:75056"),
    ("Article après", "94240", "Haÿ-les-Roses (L')", "com:94038"),
    ("Lieu-dit", "32000", "Lieu-dit Pas Une Commune", "com:32013"),  # postcode alone decides
    ("Commune nouvelle", "56450", "Theix", "com:56251"),  # now Theix-Noyalo
    ("Sans article", "43000", "Puy-en-Velay", "com:43157"),
]


def test_rows_without_coordinates_are_placed_by_postcode_and_town_together(referential, tmp_path):
    path = _csv(
        tmp_path / "lieux.csv",
        ["Nom", "Adresse", "Code postal", "Ville"],
        [[name, "1 rue de la Paix", cp, town] for name, cp, town, _commune in PLACES]
        + [["Introuvable", "1 rue", "12400", "Nulle-Part-sur-Mer"]],
    )
    job = _run(path, category="tiers-lieu")
    items = _items(job)
    for name, _cp, _town, commune in PLACES:
        item = items[name]
        assert item.outcome == Outcome.NEW, (name, item.reasons)
        assert item.commune_id == commune, (name, item.reasons)
        assert any("précision « commune »" in r for r in item.reasons), item.reasons
    lombez = " ".join(items["Désaccord"].reasons)
    assert "désaccord" in lombez
    assert "la commune l'emporte" in lombez
    assert "Auch" in lombez
    assert "le code postal l'emporte" in " ".join(items["Lieu-dit"].reasons)
    assert "CEDEX" in " ".join(items["CEDEX seul"].reasons)
    rejected = items["Introuvable"]
    assert rejected.outcome == Outcome.REJECTED
    assert "Nulle-Part-sur-Mer" in rejected.reasons[0]
    # placed at the commune's point, with the precision said
    initiative = Initiative.objects.get(name="Désaccord")
    assert initiative.commune_id == "com:32213"
    assert initiative.location_precision == "commune"
    assert initiative.commune_method == "postcode"
    assert initiative.lon is not None
    assert initiative.lat is not None
    # an officer's later edit that leaves the point alone keeps the origin…
    initiative.description = "Ressourcerie"
    place_initiative(initiative)
    assert initiative.commune_method == "postcode"
    # …one that moves the point to the address makes it a point's commune
    initiative.lon, initiative.lat = 0.9105, 43.4745  # Lombez, on its church square
    place_initiative(initiative)
    assert (initiative.commune_id, initiative.commune_method) == ("com:32213", "point")


def test_places_by_postcode_stored_before_are_marked_by_the_migration(referential, tmp_path):
    migration = importlib.import_module("maillage.catalog.migrations.0011_commune_method_postcode")
    path = _csv(
        tmp_path / "lieux.csv",
        ["Nom", "Code postal", "Ville", "lat", "lon"],
        [
            ["Par code postal", "32000", "Auch", "", ""],
            ["Par point", "32000", "Auch", "43.6465", "0.5855"],
        ],
    )
    _run(path, category="tiers-lieu")
    Initiative.objects.update(commune_method="point")  # as stored before the value existed
    migration.mark_postcode_placements(django_apps, None)
    methods = dict(Initiative.objects.values_list("name", "commune_method"))
    assert methods == {"Par code postal": "postcode", "Par point": "point"}


def test_town_key_reads_towns_as_addresses_write_them():
    assert town_key("ST-JEAN-DE-LUZ CEDEX") == town_key("Saint-Jean-de-Luz")
    assert town_key("Ste-Foy-lès-Lyon") == town_key("Sainte-Foy-lès-Lyon")
    assert town_key("Marseille 8ème arrondissement") == "marseille"
    assert town_key("L'Haÿ-les-Roses") == town_key("Haÿ-les-Roses (L')")


# --- 8. personal data out of the stored raw rows ------------------------------------------

SPACES_HEADER = ["Nom", "Commune", "Code postal", "Nom animateur", "Téléphone", "Courriel"]
SPACES = [
    ["Espace numérique du Centre", "Auch", "32000", "Dupont", "06 12 34 56 78",
     "jean.dupont@example.org"],
    ["Cyber-base de Lombez", "Lombez", "32220", "", "05 62 62 00 00", "contact@example.org"],
    # rejected (cannot be placed): its raw row is redacted all the same
    ["Point info", "Nulle-Part", "", "Martin", "06 00 00 00 00", "paul.martin@example.org"],
]  # fmt: skip
SPACES_MAPPING = {
    "fields": {
        "name": "Nom",
        "city": "Commune",
        "postcode": "Code postal",
        "contact_name": "Nom animateur",
        "contact_phone": "Téléphone",
        "contact_email": "Courriel",
    },
    "category": {"value": "tiers-lieu"},
}


@pytest.mark.parametrize("dry_run", [False, True])
def test_dropped_personal_fields_are_removed_from_the_stored_raw_row(
    referential, tmp_path, dry_run
):
    path = _csv(tmp_path / "espaces.csv", SPACES_HEADER, SPACES)
    job = _run(path, mapping=SPACES_MAPPING, dry_run=dry_run)
    items = _items(job)
    centre = items["Espace numérique du Centre"].raw
    assert (centre["Nom animateur"], centre["Téléphone"], centre["Courriel"]) == (REDACTED,) * 3
    assert centre["Commune"] == "Auch"  # the rest of the row is kept as received
    lombez = items["Cyber-base de Lombez"].raw  # the organisation's contacts stay
    assert (lombez["Téléphone"], lombez["Courriel"]) == ("05 62 62 00 00", "contact@example.org")
    point = items["Point info"]
    assert point.outcome == Outcome.REJECTED
    assert (point.raw["Nom animateur"], point.raw["Courriel"]) == (REDACTED, REDACTED)
    stored = " ".join(str(i.raw) for i in HarvestItem.objects.filter(job=job))
    for personal in ("Dupont", "jean.dupont", "06 12 34", "Martin", "paul.martin"):
        assert personal not in stored


def test_personal_fields_kept_with_a_legal_basis_stay_in_the_raw_row(referential, tmp_path):
    path = _csv(tmp_path / "espaces.csv", SPACES_HEADER, SPACES[:1])
    mapping = {
        **SPACES_MAPPING,
        "keep_personal_data": {
            "fields": ["contact_name", "contact_email", "contact_phone"],
            "legal_basis": "consentement",
        },
    }
    job = _run(path, mapping=mapping)
    raw = HarvestItem.objects.get(job=job).raw
    assert raw["Courriel"] == "jean.dupont@example.org"
    initiative = Initiative.objects.get()
    assert initiative.contact_email == "jean.dupont@example.org"
    assert initiative.contact_is_personal


def test_the_data_migration_cleans_rows_stored_before(referential, tmp_path):
    from maillage.sources.personal_cleanup import redact_stored_rows

    path = _csv(tmp_path / "espaces.csv", SPACES_HEADER, SPACES)
    job = _run(path, mapping=SPACES_MAPPING)
    item = HarvestItem.objects.get(job=job, row_number=1)
    item.raw = dict(zip(SPACES_HEADER, SPACES[0], strict=True))  # as stored before the fix
    item.save()
    assert redact_stored_rows(HarvestItem.objects.all()) == 1
    item.refresh_from_db()
    assert item.raw["Courriel"] == REDACTED
    assert item.raw["Commune"] == "Auch"
    assert redact_stored_rows(HarvestItem.objects.all()) == 0  # nothing left to clean


# --- 9. an organisation's own contacts ------------------------------------------------------


def test_an_organisations_switchboard_and_role_addresses_are_kept(referential, tmp_path):
    path = _csv(
        tmp_path / "tiers-lieux-occitanie.csv",
        ["Nom", "Ville", "Code postal", "Téléphone", "Mail"],
        [
            ["La Cantine", "Auch", "32000", "05.61.80.27.82", "cantine@example.org"],
            ["PIJ", "Lombez", "32220", "05 62 00 00 01", "pij@mairie-lombez.example.fr"],
            ["Atelier Partagé", "Nîmes", "30000", "", "bonjour@atelier.example.org"],
            ["Fab du Sud", "Nîmes", "30000", "06 11 22 33 44", "jean.dupont@example.org"],
        ],
    )
    job = _run(path, category="tiers-lieu")
    assert job.outcomes["new"] == 4
    cantine = Initiative.objects.get(name="La Cantine")
    assert (cantine.contact_phone, cantine.contact_email) == (
        "05.61.80.27.82",
        "cantine@example.org",
    )
    assert not cantine.contact_is_personal
    assert Initiative.objects.get(name="PIJ").contact_email == "pij@mairie-lombez.example.fr"
    fab = Initiative.objects.get(name="Fab du Sud")
    assert (fab.contact_phone, fab.contact_email) == ("", "")
    items = _items(job)
    said = " ".join(items["La Cantine"].reasons)
    assert "contact de la structure gardé" in said
    assert "standard de la structure" in said
    assert "adresse de fonction" in said
    fab_said = " ".join(items["Fab du Sud"].reasons)
    assert "adresse nominative" in fab_said
    assert "portable" in fab_said


def test_whose_contact_rules():
    for role in ("contact@x.fr", "accueil@x.fr", "info@x.fr", "secretariat@x.fr", "pij@mairie.fr"):
        assert email_rule(role, "Courriel", names_person=True, place="")[0], role
    assert not email_rule("jean.dupont@x.fr", "Courriel", False, "")[0]
    assert not email_rule("jdupont@x.fr", "Courriel animateur", False, "")[0]
    assert email_rule("lacantine@x.fr", "Mail", False, "La Cantine")[0]
    assert phone_rule("05.61.80.27.82", "Téléphone", names_person=False)[0]
    assert not phone_rule("05.61.80.27.82", "Téléphone", names_person=True)[0]
    assert not phone_rule("05.61.80.27.82", "Tél. responsable", names_person=False)[0]
