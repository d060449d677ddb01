"""`maillage import footprint-airbnb` on small listings files the tests write: outcomes and
reasons, host names never kept, arrondissements, re-runs, snapshots, interrupted runs."""

import datetime
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from maillage.catalog.models import PlatformFootprint
from maillage.sources.errors import SourceFileError
from maillage.sources.harvest import ImportRequest, run_import
from maillage.sources.items import all_items
from maillage.sources.models import HarvestItem, HarvestJob, SourceRecord
from maillage.sources.personal import REDACTED

from .footprintfiles import (
    AT_SEA,
    BORDEAUX,
    LYON_3E,
    LYON_4E,
    LYON_8E,
    MERIGNAC,
    listing,
    write_listings,
)

pytestmark = pytest.mark.django_db

HOST = "Zoé-Hôtesse"


def _import(path: Path, source: str = "airbnb-test", **kwargs) -> HarvestJob:
    return run_import(ImportRequest(backend="footprint-airbnb", path=path, source=source, **kwargs))


def _figures(territory: str = "com:69123", date: str | None = None) -> dict[str, PlatformFootprint]:
    rows = PlatformFootprint.objects.filter(territory_id=territory, platform="Airbnb")
    if date:
        rows = rows.filter(date=date)
    return {f.metric: f for f in rows}


def _lyon_rows() -> list[dict[str, str]]:
    return [
        listing(
            1,
            LYON_4E,
            availability="300",
            license="6938413058353",
            host_listings="3",
            host_name=HOST,
        ),
        listing(
            2, LYON_4E, availability="100", license="Exempt - hotel-type listing", host_name=HOST
        ),
        listing(3, LYON_4E, room_type="Private room", availability="365", host_name=HOST),
        listing(4, LYON_3E, availability="95", license="69 383 130 583 AB", host_listings="2"),
        listing(
            5,
            LYON_8E,
            availability="0",
            license='Available with a mobility lease only ("bail mobilité")',
        ),
        listing(6, MERIGNAC, availability="150", last_review="2024-03-23"),
    ]


def test_listings_counted_per_commune_and_arrondissement(referential, tmp_path):
    job = _import(write_listings(tmp_path / "listings.csv", _lyon_rows()))
    assert job.status == HarvestJob.Status.DONE
    assert job.outcomes["new"] == 6
    assert job.rows == 6
    lyon = _figures()
    # Derived from the six rows above, by hand.
    expected = {
        "annonces": 5,
        "logements-entiers": 4,
        "logements-entiers-plus-90-nuits": 3,  # 300, 100, 95 (the private room is not)
        "logements-entiers-plus-120-nuits": 1,  # 300
        "annonces-avec-numero": 2,  # 6938413058353 and the spaced 69383…AB
        "annonces-numero-invalide": 0,
        "annonces-mention-sans-numero": 2,
        "annonces-hotes-multiples": 2,
    }
    assert {k: f.value for k, f in lyon.items()} == expected
    assert lyon["annonces"].breakdown["69384"] == 3
    assert lyon["annonces"].breakdown["69383"] == 1
    assert lyon["annonces"].breakdown["69388"] == 1
    assert lyon["annonces"].breakdown["69381"] == 0  # the file covers Lyon: a true zero
    assert len(lyon["annonces"].breakdown) == 9
    assert lyon["logements-entiers-plus-120-nuits"].breakdown["69384"] == 1
    assert lyon["annonces"].date == datetime.date(2024, 3, 23)  # latest last_review
    assert lyon["annonces"].category_id == "hebergement-entre-particuliers"
    assert lyon["annonces"].origin == "airbnb-test"
    assert _figures("com:33281")["annonces"].value == 1  # Mérignac
    assert not PlatformFootprint.objects.filter(territory_id__in=["com:69384", "epci:200046977"])
    assert any("last_review le plus récent" in n for n in job.notes)
    assert job.figures["date"] == "2024-03-23"
    assert job.figures["territories"] == 2
    # An arrondissement's code in a Lyon listing's number is Lyon's: nothing to say.
    item = HarvestItem.objects.get(job=job, remote_id="4")
    assert item.commune_id == "com:69123"
    assert item.reasons == []


def test_host_names_and_titles_are_never_stored(referential, tmp_path):
    rows = _lyon_rows()
    rows.append(listing(7, AT_SEA, host_name=HOST, name=f"Chez {HOST}"))  # rejected, kept
    rows.append({**listing(8, LYON_3E, host_name=HOST), "latitude": "abc"})
    path = write_listings(tmp_path / "listings.csv", rows)
    for dry_run in (True, False):
        job = _import(path, dry_run=dry_run)
        stored = json.dumps(
            [i.raw for i in all_items(job)]
            + list(SourceRecord.objects.values_list("imported", flat=True))
            + list(PlatformFootprint.objects.values_list("notes", "breakdown", "source_name")),
            ensure_ascii=False,
        )
        assert HOST not in stored
        assert "Isabelle" not in stored
        assert "1007" not in stored  # the host's id
        assert "Duplex avec vue" not in stored  # the title
        rejected = HarvestItem.objects.get(job=job, remote_id="7")
        assert rejected.outcome == "rejected"
        assert rejected.raw["host_name"] == REDACTED
        assert rejected.raw["latitude"] == str(AT_SEA[0])  # the rest as received
    assert any("jamais gardés" in n for n in job.notes)


def test_bad_rows_are_rejected_with_their_reason(referential, tmp_path):
    rows = [
        listing(1, LYON_4E),
        listing(1, LYON_4E),  # the same listing twice
        listing(2, AT_SEA),
        {**listing(3, LYON_4E), "longitude": ""},
        {**listing(4, LYON_4E), "latitude": "95.2"},
        {**listing(5, LYON_4E), "id": ""},
        listing(6, LYON_4E, room_type="Castle", availability="lots", host_listings="x"),
    ]
    path = write_listings(tmp_path / "listings.csv", rows)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("7,titre,1,Nom,,,45.77,4.83\n")  # too few cells
    job = _import(path)
    assert job.status == HarvestJob.Status.DONE_WITH_ERRORS
    reasons = {i.row_number: (i.outcome, " | ".join(i.reasons)) for i in all_items(job)}
    assert reasons[2][0] == "skipped"
    assert "annonce répétée" in reasons[2][1]
    assert reasons[3] == ("rejected", "hors de France : le point n'est dans aucune commune")
    assert reasons[4][0] == "rejected"
    assert "coordonnées absentes ou illisibles" in reasons[4][1]
    assert reasons[5][0] == "rejected"
    assert "coordonnées impossibles" in reasons[5][1]
    assert reasons[6][0] == "rejected"
    assert "identifiant d'annonce absent" in reasons[6][1]
    assert reasons[7][0] == "new"
    assert "type de logement inconnu « Castle »" in reasons[7][1]
    assert "disponibilité illisible" in reasons[7][1]
    assert "nombre d'annonces de l'hôte illisible" in reasons[7][1]
    assert reasons[8][0] == "rejected"
    assert "cellule(s) au lieu de 18" in reasons[8][1]
    assert job.outcomes == {
        "new": 2, "updated": 0, "unchanged": 0, "skipped": 1, "rejected": 5, "archived": 0
    }  # fmt: skip
    lyon = _figures()
    assert lyon["annonces"].value == 2
    assert lyon["logements-entiers"].value == 1  # the castle is a listing, not an entire home


def test_second_run_changes_nothing_and_a_new_snapshot_adds_a_date(referential, tmp_path):
    path = write_listings(tmp_path / "listings.csv", _lyon_rows())
    first = _import(path)
    before = {(f.pk, f.updated_at, f.value) for f in PlatformFootprint.objects.all()}
    again = _import(path)
    assert again.outcomes["unchanged"] == 6
    assert again.outcomes["new"] == 0
    assert again.figures["unchanged"] == again.figures["figures"] == first.figures["new"]
    assert {(f.pk, f.updated_at, f.value) for f in PlatformFootprint.objects.all()} == before
    # Three weeks later: listing 2 is gone, listing 1 became a private room.
    later = [r for r in _lyon_rows() if r["id"] != "2"]
    later[0] = {**later[0], "room_type": "Private room", "last_review": "2024-04-12"}
    third = _import(write_listings(tmp_path / "later.csv", later))
    assert third.outcomes["updated"] == 1
    assert third.outcomes["archived"] == 1
    updated = HarvestItem.objects.get(job=third, outcome="updated")
    assert updated.diff == {"room_type": ["Entire home/apt", "Private room"]}
    assert _figures(date="2024-03-23")["annonces"].value == 5  # the first snapshot stays
    assert _figures(date="2024-04-12")["annonces"].value == 4
    assert SourceRecord.objects.get(remote_id="2").archived_at is not None


def test_a_given_date_wins_and_an_impossible_one_is_refused(referential, tmp_path):
    path = write_listings(tmp_path / "listings.csv", _lyon_rows())
    out = io.StringIO()
    call_command(
        "import", "footprint-airbnb", str(path), "--source", "lyon", "--date", "2024-03-31",
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    summary = json.loads(out.getvalue())
    assert summary["footprints"]["date"] == "2024-03-31"
    assert any("donnée à l'import" in n for n in summary["file_notes"])
    assert _figures(date="2024-03-31")["annonces"].value == 5
    with pytest.raises(CommandError) as error:
        call_command(
            "import", "footprint-airbnb", str(path), "--source", "lyon2", "--date", "31/03/2024",
            stdout=io.StringIO(), stderr=io.StringIO(),
        )  # fmt: skip
    assert error.value.returncode == 2
    assert "AAAA-MM-JJ" in str(error.value)
    with pytest.raises(SourceFileError, match="précède le dernier avis"):
        _import(path, source="lyon3", mapping={"date": "2024-01-01"})
    assert not PlatformFootprint.objects.filter(origin="lyon3").exists()
    with pytest.raises(CommandError):
        call_command(
            "import", "csv", str(path), "--date", "2024-03-31",
            stdout=io.StringIO(), stderr=io.StringIO(),
        )  # fmt: skip


def test_without_any_date_the_run_fails_and_writes_nothing(referential, tmp_path):
    rows = [listing(1, LYON_4E, last_review=""), listing(2, BORDEAUX, last_review="")]
    with pytest.raises(SourceFileError, match="--date"):
        _import(write_listings(tmp_path / "listings.csv", rows))
    job = HarvestJob.objects.get()
    assert job.status == HarvestJob.Status.FAILED
    assert not PlatformFootprint.objects.exists()
    assert not SourceRecord.objects.exists()
    assert not HarvestItem.objects.exists()  # the report of a failed run is taken back


def test_an_interrupted_run_leaves_the_figures_as_they_were(referential, tmp_path):
    _import(write_listings(tmp_path / "listings.csv", _lyon_rows()))
    before = sorted(PlatformFootprint.objects.values_list("metric", "date", "value"))
    records = sorted(SourceRecord.objects.values_list("remote_id", "raw_hash"))
    changed = [listing(10 + n, LYON_3E) for n in range(30)]

    def interrupt(rows: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _import(write_listings(tmp_path / "changed.csv", changed), progress=interrupt)
    assert sorted(PlatformFootprint.objects.values_list("metric", "date", "value")) == before
    assert sorted(SourceRecord.objects.values_list("remote_id", "raw_hash")) == records
    assert HarvestJob.objects.filter(status=HarvestJob.Status.FAILED).count() == 1


def test_dry_run_reports_and_writes_no_figure(referential, tmp_path):
    job = _import(write_listings(tmp_path / "listings.csv", _lyon_rows()), dry_run=True)
    assert job.outcomes["new"] == 6
    assert job.figures["new"] == job.figures["figures"] > 0
    assert not PlatformFootprint.objects.exists()
    assert not SourceRecord.objects.exists()


def test_a_file_that_is_not_a_listings_file_is_refused(referential, tmp_path):
    path = tmp_path / "autre.csv"
    path.write_text("nom,adresse\nRepair café,1 rue X\n", "utf-8")
    with pytest.raises(SourceFileError, match="ce n'est pas un fichier listings.csv"):
        _import(path)
    assert not PlatformFootprint.objects.exists()


VILLEURBANNE = (45.7700, 4.8800)


def test_a_blurred_point_across_the_city_limit_counts_in_its_neighbourhoods_commune(
    referential, tmp_path
):
    rows = [
        listing(1, LYON_4E, neighbourhood="4e Arrondissement"),
        listing(2, LYON_4E, neighbourhood="4e Arrondissement"),
        listing(3, LYON_3E, neighbourhood="3e Arrondissement"),
        # Airbnb blurred this 3rd-arrondissement listing into Villeurbanne.
        listing(4, VILLEURBANNE, neighbourhood="3e Arrondissement"),
    ]
    job = _import(write_listings(tmp_path / "listings.csv", rows))
    lyon = _figures()
    assert lyon["annonces"].value == 4
    assert lyon["annonces"].breakdown["69384"] == 2
    assert lyon["annonces"].breakdown["69383"] == 2
    assert not PlatformFootprint.objects.filter(territory_id="com:69266").exists()
    moved = HarvestItem.objects.get(job=job, remote_id="4")
    assert moved.commune_id == "com:69123"
    assert moved.reasons == [
        "point hors de la zone du fichier (dans Villeurbanne, point flouté par Airbnb) : "
        "compté à Lyon, la commune de son quartier « 3e Arrondissement »",
        "point hors des contours des arrondissements : compté dans Lyon 3e Arrondissement, "
        "l'arrondissement de son quartier « 3e Arrondissement »",
    ]
    assert any("zone du fichier : 1 commune" in n and "1 annonce(s)" in n for n in job.notes)


def test_neighbourhood_names_without_accents_do_not_matter(referential, tmp_path):
    rows = [
        {**listing(1, MERIGNAC), "neighbourhood_group": "Mrignac", "neighbourhood": "Mrignac"},
        {
            **listing(2, BORDEAUX),
            "neighbourhood_group": "Bordeaux",
            "neighbourhood": "Bordeaux Sud",
        },
        {
            **listing(3, MERIGNAC),
            "neighbourhood_group": "Bordeaux",
            "neighbourhood": "Bordeaux Sud",
        },
    ]
    _import(write_listings(tmp_path / "listings.csv", rows))
    # The point decides: listing 3 is labelled Bordeaux but lies in Mérignac, in the area.
    assert _figures("com:33281")["annonces"].value == 2
    assert _figures("com:33063")["annonces"].value == 1
