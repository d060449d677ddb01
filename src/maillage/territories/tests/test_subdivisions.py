"""Municipal arrondissements kept by the referential (population and outline), and the
locator that places a point of Paris, Lyon or Marseille in its arrondissement."""

import pytest

from maillage.territories.models import Territory, TerritoryAlias
from maillage.territories.subdivisions import get_subdivisions

pytestmark = pytest.mark.django_db


def test_every_arrondissement_has_its_population_and_outline(referential):
    arrondissements = TerritoryAlias.objects.filter(kind="arrondissement")
    by_commune = {
        commune: arrondissements.filter(territory_id=commune).count()
        for commune in ("com:75056", "com:69123", "com:13055")
    }
    assert by_commune == {"com:75056": 20, "com:69123": 9, "com:13055": 16}
    assert not arrondissements.filter(population__isnull=True).exists()
    assert not arrondissements.filter(geometry__isnull=True).exists()
    # The arrondissements add up to their commune (the same INSEE population vintage).
    lyon = arrondissements.filter(territory_id="com:69123")
    assert sum(a.population or 0 for a in lyon) == Territory.objects.get(id="com:69123").population


def test_points_go_to_their_arrondissement_inside_their_commune_only(referential):
    parts = get_subdivisions()
    found = parts.locate(
        ["com:69123", "com:75056", "com:13055", "com:69266", None, "com:69123"],
        [4.8270, 2.3522, 5.3810, 4.8800, 4.8270, -3.0],
        [45.7790, 48.8566, 43.2950, 45.7700, 45.7790, 45.0],
    )
    # Croix-Rousse, Paris 4e (Hôtel de Ville), Marseille 1er; Villeurbanne has none; a point
    # without commune or outside every outline gets none.
    assert found == ["69384", "75104", "13201", None, None, None]
    assert [p.code for p in parts.of_commune("com:69123")][:2] == ["69381", "69382"]
