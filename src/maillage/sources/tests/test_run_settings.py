"""A dry run changes nothing, its settings included; a real run that reuses a source's stored
settings says which (issue: a dry run's --category later put every row of a mixed file in
one category, and a dry run's mapping made a later run fail)."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from maillage.sources.harvest import ImportRequest, run_import
from maillage.sources.models import HarvestJob, Source

pytestmark = pytest.mark.django_db

MAPPING = {"fields": {"remote_id": "ref", "name": "lieu", "lat": "y", "lon": "x"}}


def _places(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ref", "lieu", "y", "x", "genre"])
        writer.writerow(["1", "Atelier vélo du Blosne", "48.0862", "-1.6601", "réparation"])
        writer.writerow(["2", "Fablab de Cleunay", "48.1026", "-1.7034", "fablab"])
    return path


def _run(path: Path, **kwargs) -> HarvestJob:
    return run_import(ImportRequest(backend="csv", path=path, source="lieux", **kwargs))


def test_a_dry_run_keeps_its_settings_to_itself(referential, tmp_path):
    path = _places(tmp_path / "lieux.csv")
    first = _run(path, mapping=MAPPING, category="fablab")  # a real run: saved
    assert first.outcomes["new"] == 2
    source = Source.objects.get(name="lieux")
    assert (source.default_category, source.mapping) == ("fablab", MAPPING)

    other = tmp_path / "autre.csv"
    other.write_text(path.read_text("utf-8"), "utf-8")
    dry = _run(
        other,
        mapping={**MAPPING, "fields": {**MAPPING["fields"]}},
        category="repair-cafe",
        dry_run=True,
    )
    assert dry.status == HarvestJob.Status.DONE
    assert dry.categories == {"repair-cafe": 2}  # the dry run read the file its way
    source.refresh_from_db()
    assert source.default_category == "fablab"
    assert source.location == str(path)  # scheduled harvests still read the real run's file

    again = _run(path)  # given nothing: the stored settings, said in the notes
    assert again.categories == {"fablab": 2}
    [note] = [n for n in again.notes if "réglages de la source repris" in n]
    assert "correspondance des colonnes" in note
    assert "catégorie de toute la source" in note


def test_the_command_line_dry_run_leaves_the_source_as_it_was(referential, tmp_path):
    path = _places(tmp_path / "lieux.csv")
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"fields": {"remote_id": "ref", "name": "lieu", "lat": "y", "lon": "x"}}')
    call_command("import", "csv", str(path), "--source", "lieux", "--mapping", str(mapping),
                 "--category", "fablab", "--dry-run", stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    source = Source.objects.get(name="lieux")
    assert (source.mapping, source.default_category, source.location) == ({}, "", "")
