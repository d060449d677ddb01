import json
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


@pytest.mark.django_db
def test_territory_json_has_the_documented_keys(capsys):
    call_command("territory", "dep:35", "--json")
    data = json.loads(capsys.readouterr().out)
    for key in [
        "id",
        "name",
        "level",
        "population",
        "population_year",
        "area_km2",
        "parents",
        "children_count",
    ]:
        assert key in data
    assert data["id"] == "dep:35"
    assert data["name"] == "Ille-et-Vilaine"
    assert data["population_year"] == 2023
    assert [p["id"] for p in data["parents"]] == ["reg:53", "fr"]
    assert data["children_count"] == 332  # communes of Ille-et-Vilaine in the 2026 COG


@pytest.mark.django_db
def test_old_commune_code_resolves_and_says_so(capsys):
    call_command("territory", "com:74011", "--json")
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["id"] == "com:74010"
    assert data["resolved_from"]["code"] == "74011"
    assert "Annecy-le-Vieux" in captured.err


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bad_id", "message"),
    [("dep:999", "Aucun territoire"), ("xyz", "n'est pas un identifiant"), ("com:99999", "Aucun")],
)
def test_bad_ids_are_clear_errors_with_status_2(bad_id, message):
    with pytest.raises(CommandError, match=message) as info:
        call_command("territory", bad_id, "--json")
    assert info.value.returncode == 2


def test_console_script_exit_status_is_2_for_a_bad_id():
    result = subprocess.run(
        [sys.executable, "-m", "maillage.cli", "territory", "xyz", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "n'est pas un identifiant" in result.stderr
    assert result.stdout == ""
