"""Files that repeat an id, imported end to end (constructed files of the shapes met in real
use): a table of AMAP–producer pairs (the same AMAP on several rows) and a GeoJSON whose
features all carry the same `@id` (different places)."""

import csv
import json
from pathlib import Path

import pytest

from maillage.catalog.models import Initiative
from maillage.sources.harvest import ImportRequest, run_import
from maillage.sources.models import HarvestItem, HarvestJob, Outcome

pytestmark = pytest.mark.django_db

AMAP_MAPPING = {
    "fields": {
        "remote_id": "IdAmap",
        "name": "NomAmap",
        "city": "CommuneAmap",
        "lat": "LATAmap",
        "lon": "LONGAmap",
    },
}


def _amap_pairs(path: Path) -> Path:
    """Two AMAPs of Rennes, each listed once per producer."""
    header = ["IdAmap", "NomAmap", "CommuneAmap", "LATAmap", "LONGAmap", "NomProd", "LATProd", "LONGProd"]  # fmt: skip
    amaps = [
        ("a1", "AMAP du Blosne", "Rennes", "48.0862", "-1.6601"),
        ("a2", "AMAP de Cleunay", "Rennes", "48.1026", "-1.7034"),
    ]
    producers = [("Ferme des Landes", "48.2", "-1.5"), ("GAEC du Pré", "47.9", "-1.9")]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for amap in amaps:
            for producer in (*producers, ("Rucher Bleu", "48.0", "-1.8")):
                writer.writerow([*amap, *producer])
    return path


def _run(backend: str, path: Path, **kwargs) -> HarvestJob:
    return run_import(ImportRequest(backend=backend, path=path, source="test", **kwargs))


def test_a_place_listed_once_per_partner_is_imported_once_and_the_job_is_done(
    referential, tmp_path
):
    job = _run("csv", _amap_pairs(tmp_path / "amap.csv"), mapping=AMAP_MAPPING, category="amap")
    assert job.status == HarvestJob.Status.DONE  # not « done with errors »
    assert (job.outcomes["new"], job.outcomes["skipped"], job.outcomes["rejected"]) == (2, 4, 0)
    skipped = HarvestItem.objects.filter(job=job, outcome=Outcome.SKIPPED).order_by("row_number")
    assert "à l'identique" in skipped[0].reasons[0]
    assert "ligne 1" in skipped[0].reasons[0]
    assert Initiative.objects.count() == 2
    again = _run("csv", tmp_path / "amap.csv", mapping=AMAP_MAPPING, category="amap")
    assert again.status == HarvestJob.Status.DONE
    assert (again.outcomes["unchanged"], again.outcomes["skipped"]) == (2, 4)
    # A producer changes: the file is read again row by row. The first row of each AMAP is
    # the one stored (not even parsed); its repeats are compared with the stored record.
    text = (tmp_path / "amap.csv").read_text("utf-8").replace("Rucher Bleu", "Rucher Vert")
    (tmp_path / "amap.csv").write_text(text, "utf-8")
    changed = _run("csv", tmp_path / "amap.csv", mapping=AMAP_MAPPING, category="amap")
    assert changed.status == HarvestJob.Status.DONE
    assert not any("fichier identique" in note for note in changed.notes)
    assert (changed.outcomes["unchanged"], changed.outcomes["skipped"]) == (2, 4)
    assert changed.outcomes["new"] == 0
    assert Initiative.objects.count() == 2


def _shared_id_geojson(path: Path, names: list[str]) -> Path:
    features = [
        {
            "type": "Feature",
            "id": "way/1",
            "properties": {"@id": "node/42", "name": name, "addr:city": "Rennes"},
            "geometry": {"type": "Point", "coordinates": [-1.68 + i / 100, 48.11]},
        }
        for i, name in enumerate(names)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def test_features_sharing_one_id_are_different_places_known_by_their_content(referential, tmp_path):
    names = ["Espace numérique Blosne", "Espace numérique Cleunay", "Point info Bréquigny"]
    path = _shared_id_geojson(tmp_path / "espaces.geojson", names)
    job = _run("geojson", path, category="tiers-lieu")
    assert job.outcomes["new"] == 3
    assert job.outcomes["rejected"] == 0
    assert any(
        "identifiant répété avec des valeurs différentes sur 2 lignes" in n for n in job.notes
    )
    assert sorted(Initiative.objects.values_list("name", flat=True)) == sorted(names)
    # A re-run finds each of them again; none is archived, none is new.
    again = _run("geojson", path, category="tiers-lieu")
    assert again.outcomes["unchanged"] == 3
    assert (again.outcomes["new"], again.outcomes["archived"]) == (0, 0)
