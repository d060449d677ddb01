"""Every département's figures recomputed independently, in SQL by DuckDB inside the test, from
the same rows (the bundled demo sources), and compared with Maillage's stored figures."""

import duckdb
import pytest

from maillage.catalog.models import Category, Initiative
from maillage.indicators.compute import ScopeFigures
from maillage.indicators.models import TerritoryFigures
from maillage.indicators.services import recompute
from maillage.territories.models import Territory

from .conftest import REFERENCE_DATE

pytestmark = pytest.mark.real_data


@pytest.fixture
def duck(demo_figures):
    # Some closed and some planned ones among the real records: only the active are counted.
    ids = list(Initiative.objects.order_by("pk").values_list("pk", flat=True))
    Initiative.objects.filter(pk__in=ids[::50]).update(status="ferme")
    Initiative.objects.filter(pk__in=ids[7::50]).update(status="projet")
    recompute(today=REFERENCE_DATE)
    con = duckdb.connect()
    con.execute("CREATE TABLE initiative (commune_id TEXT, category_id TEXT, status TEXT)")
    con.executemany(
        "INSERT INTO initiative VALUES (?, ?, ?)",
        list(
            Initiative.objects.public()
            .filter(commune__isnull=False)
            .values_list("commune_id", "category_id", "status")
        ),
    )
    con.execute("CREATE TABLE commune (id TEXT, departement_id TEXT, population BIGINT)")
    con.executemany(
        "INSERT INTO commune VALUES (?, ?, ?)",
        list(
            Territory.objects.filter(level="com").values_list("id", "departement_id", "population")
        ),
    )
    con.execute("CREATE TABLE category (code TEXT, family TEXT)")
    con.executemany(
        "INSERT INTO category VALUES (?, ?)",
        list(Category.objects.filter(retired=False).values_list("code", "family_id")),
    )
    yield con
    con.close()


# Per département and scope (all, fam:<code>, cat:<code>): count of active initiatives, per
# 10,000 inhabitants, share of the population living in a commune that has one.
QUERY = """
WITH active AS (SELECT * FROM initiative WHERE status = 'actif'),
tagged AS (
    SELECT i.commune_id, 'all' AS scope FROM active i
    UNION ALL
    SELECT i.commune_id, 'fam:' || c.family FROM active i JOIN category c ON c.code = i.category_id
    UNION ALL
    SELECT i.commune_id, 'cat:' || i.category_id FROM active i WHERE i.category_id IS NOT NULL
),
per_commune AS (
    SELECT commune_id, scope, count(*) AS n FROM tagged GROUP BY ALL
),
dep_population AS (
    SELECT departement_id, sum(coalesce(population, 0)) AS population
    FROM commune GROUP BY departement_id
)
SELECT m.departement_id, p.scope, sum(p.n) AS n,
       sum(m.population) FILTER (WHERE p.n > 0) AS living_with_one, d.population
FROM per_commune p
JOIN commune m ON m.id = p.commune_id
JOIN dep_population d ON d.departement_id = m.departement_id
GROUP BY ALL
"""


def test_every_departement_matches_an_independent_duckdb_computation(duck):
    expected = {
        (dep, scope): (n, living, pop) for dep, scope, n, living, pop in duck.sql(QUERY).fetchall()
    }
    stored = {
        row.territory_id: row.figures
        for row in TerritoryFigures.objects.filter(territory__level="dep")
    }
    assert len(stored) == Territory.objects.filter(level="dep").count()
    departements_with_initiatives = {dep for dep, _scope in expected}
    assert len(departements_with_initiatives) > 90  # the carpooling base covers France
    compared = 0
    for dep_id, figures in stored.items():
        scopes = {
            key: ScopeFigures(*values)
            for key, values in figures["scopes"].items()
            if ScopeFigures(*values).count > 0
        }
        mine = {scope for (dep, scope) in expected if dep == dep_id}
        assert set(scopes) == mine, dep_id
        for scope, values in scopes.items():
            n, living, population = expected[(dep_id, scope)]
            assert values.count == n, (dep_id, scope)
            assert values.per_10k == pytest.approx(round(n / population * 10_000, 3)), (
                dep_id,
                scope,
            )
            assert values.commune_share == pytest.approx(round(living / population, 4)), (
                dep_id,
                scope,
            )
            compared += 1
    assert compared > 300
