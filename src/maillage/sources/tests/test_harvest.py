"""The harvest engine on the real carpooling base (and tmp variants of its real rows)."""

import csv
import json
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from maillage.catalog.models import Initiative
from maillage.catalog.services import update_initiative
from maillage.sources import parallel
from maillage.sources.errors import SourceFileError
from maillage.sources.harvest import ImportRequest, SourceBusy, run_import
from maillage.sources.models import HarvestItem, HarvestJob, Source, SourceRecord

from .csvfiles import read_rows, write_rows


@pytest.fixture
def bnlc(raw_data: Path) -> Path:
    return raw_data / "bnlc-covoiturage" / "bnlc.csv"


def _import(path: Path, **kwargs) -> HarvestJob:
    return run_import(ImportRequest(backend="bnlc", path=path, source="bnlc", **kwargs))


@pytest.mark.django_db
@pytest.mark.real_data
def test_real_carpooling_base_every_row_has_an_outcome_and_a_reason(bnlc):
    job = _import(bnlc)
    assert job.status == HarvestJob.Status.DONE_WITH_ERRORS
    assert job.rows == 2473
    assert job.outcomes["new"] == 2472
    assert job.outcomes["rejected"] == 1  # the one car park at sea
    assert sum(job.outcomes.values()) == job.rows
    assert job.categories == {"covoiturage": 2390, "autostop-organise": 82}
    assert job.reasons["code postal au lieu du code INSEE"] == 61
    assert job.reasons["date impossible"] == 1
    assert HarvestItem.objects.filter(job=job).count() == 2473
    templeuve = HarvestItem.objects.get(job=job, remote_id="59242-C-001")
    assert any("2026-12-13" in r for r in templeuve.reasons)
    assert templeuve.raw["date_maj"] == "2026-12-13"  # the row exactly as received
    chantelle = HarvestItem.objects.filter(job=job, raw__insee="03140").first()
    assert chantelle is not None
    assert any("03140 est le code postal de" in r for r in chantelle.reasons)
    rejected = HarvestItem.objects.get(job=job, outcome="rejected")
    assert rejected.reasons[0].startswith("hors de France")
    assert Initiative.objects.filter(source_records__source__name="bnlc").count() == 2472
    rennes = Initiative.objects.filter(commune_id="com:35238", category_id="covoiturage")
    assert rennes.exists()


@pytest.mark.django_db
@pytest.mark.real_data
def test_second_run_changes_nothing(bnlc):
    _import(bnlc)
    history_before = Initiative.history.count()
    stamps = dict(Initiative.objects.values_list("pk", "updated_at"))
    job = _import(bnlc)
    assert job.outcomes["unchanged"] == 2472
    assert job.outcomes["new"] == job.outcomes["updated"] == 0
    assert Initiative.history.count() == history_before
    assert dict(Initiative.objects.values_list("pk", "updated_at")) == stamps


@pytest.mark.django_db
@pytest.mark.real_data
def test_dry_run_previews_on_the_same_path_and_writes_no_initiative(bnlc):
    job = _import(bnlc, dry_run=True)
    assert job.dry_run
    assert job.outcomes["new"] == 2472
    assert Initiative.objects.count() == 0
    assert SourceRecord.objects.count() == 0
    preview = HarvestItem.objects.filter(job=job, outcome="new").first()
    assert preview is not None
    assert preview.diff["new"]["category_id"] in {"covoiturage", "autostop-organise"}


@pytest.mark.django_db
@pytest.mark.real_data
def test_staff_edit_is_not_overwritten_silently(bnlc, tmp_path, admin_user):
    header, rows = read_rows(bnlc)
    sample = write_rows(tmp_path / "bnlc.csv", header, rows[:50])
    _import(sample)
    record = SourceRecord.objects.get(remote_id=rows[0]["id_lieu"])
    initiative = record.initiative
    update_initiative(initiative, user=admin_user, name="Aire de la gare (nom corrigé)")
    rows[0]["nom_lieu"] = "Nouveau nom dans la source"
    rows[0]["nbre_pl"] = "999"
    rows[0]["ad_lieu"] = "Adresse changée par la source"
    job = _import(write_rows(tmp_path / "bnlc.csv", header, rows[:50]))
    initiative.refresh_from_db()
    assert initiative.name == "Aire de la gare (nom corrigé)"  # staff wins
    assert initiative.address == "Adresse changée par la source"  # untouched field follows
    item = HarvestItem.objects.get(job=job, remote_id=rows[0]["id_lieu"])
    assert item.outcome == "updated"
    assert item.conflicts[0]["field"] == "name"
    assert item.conflicts[0]["kept"] == "Aire de la gare (nom corrigé)"
    assert item.conflicts[0]["source"] == "Nouveau nom dans la source"
    assert job.outcomes["unchanged"] == 49


@pytest.mark.django_db
@pytest.mark.real_data
def test_history_of_an_imported_initiative_starts_with_its_imported_state(
    bnlc, tmp_path, admin_user
):
    header, rows = read_rows(bnlc)
    first = _import(write_rows(tmp_path / "bnlc.csv", header, rows[:20]))
    assert Initiative.history.count() == 0  # not copied at import: written when needed
    initiative = SourceRecord.objects.get(remote_id=rows[3]["id_lieu"]).initiative
    imported_name = initiative.name
    update_initiative(initiative, user=admin_user, name="Nom corrigé par l'équipe")
    records = list(initiative.history.order_by("history_date", "history_id"))
    assert [r.history_type for r in records] == ["+", "~"]
    assert records[0].name == imported_name
    assert records[0].history_change_reason == f"import bnlc #{first.pk}"
    assert records[0].history_date == initiative.created_at
    assert records[1].history_user == admin_user
    delta = records[1].diff_against(records[0])
    assert [(c.field, c.old, c.new) for c in delta.changes if c.field == "name"] == [
        ("name", imported_name, "Nom corrigé par l'équipe")
    ]
    # A change brought by the source later also keeps its before/after pair.
    other = SourceRecord.objects.get(remote_id=rows[4]["id_lieu"]).initiative
    rows[4]["ad_lieu"] = "Adresse changée par la source"
    _import(write_rows(tmp_path / "bnlc.csv", header, rows[:20]))
    assert [r.history_type for r in other.history.order_by("history_date", "history_id")] == [
        "+",
        "~",
    ]


@pytest.mark.django_db
@pytest.mark.real_data
def test_missing_rows_are_archived_after_the_grace_period_never_deleted(bnlc, tmp_path):
    header, rows = read_rows(bnlc)
    _import(write_rows(tmp_path / "a.csv", header, rows[:10]))
    Source.objects.filter(name="bnlc").update(archive_after_days=0)
    job = _import(write_rows(tmp_path / "a.csv", header, rows[:8]))
    assert job.outcomes["archived"] == 2
    gone = Initiative.objects.filter(source_records__remote_id=rows[9]["id_lieu"]).get()
    assert gone.archived_at is not None
    assert Initiative.objects.count() == 10  # nothing deleted
    back = _import(write_rows(tmp_path / "a.csv", header, rows[:10]))
    assert back.outcomes["updated"] == 2
    gone.refresh_from_db()
    assert gone.archived_at is None


@pytest.mark.django_db
@pytest.mark.real_data
def test_grace_period_keeps_a_missing_row_for_now(bnlc, tmp_path):
    header, rows = read_rows(bnlc)
    _import(write_rows(tmp_path / "a.csv", header, rows[:5]))
    job = _import(write_rows(tmp_path / "a.csv", header, rows[:4]))
    assert job.outcomes["archived"] == 0
    record = SourceRecord.objects.get(remote_id=rows[4]["id_lieu"])
    assert record.missing_since is not None
    assert record.archived_at is None


@pytest.mark.django_db
@pytest.mark.real_data
def test_an_interrupted_run_leaves_no_half_batch_and_the_next_run_completes(bnlc):
    def interrupt(rows: int) -> None:
        raise KeyboardInterrupt  # as if the user pressed Ctrl-C after the first batch

    with pytest.raises(KeyboardInterrupt):
        _import(bnlc, progress=interrupt)
    job = HarvestJob.objects.get()
    assert job.status == HarvestJob.Status.FAILED
    assert Initiative.objects.count() == 0
    assert HarvestItem.objects.count() == 0
    assert SourceRecord.objects.count() == 0
    assert _import(bnlc).outcomes["new"] == 2472


@pytest.mark.django_db
@pytest.mark.real_data
def test_two_runs_of_one_source_cannot_overlap(bnlc):
    source = Source.objects.create(name="bnlc", backend="bnlc")
    running = HarvestJob.objects.create(
        source=source, status="running", pid=os.getpid(), host=os.uname().nodename
    )
    with pytest.raises(SourceBusy, match="déjà en cours"):
        _import(bnlc)
    # A run whose process died is closed as interrupted and no longer blocks.
    running.pid = 2**22 + 12345
    running.save()
    assert _import(bnlc).status == HarvestJob.Status.DONE_WITH_ERRORS
    running.refresh_from_db()
    assert running.status == HarvestJob.Status.FAILED
    assert "interrompu" in running.error


@pytest.fixture(params=["in place", "second process"])
def parsing(request, monkeypatch) -> str:
    """A first import's file is parsed in place, or read and parsed by a second process."""
    if request.param == "second process":
        monkeypatch.setattr(parallel, "READ_IN_CHILD_MIN_BYTES", 0)
    return str(request.param)


@pytest.mark.django_db
def test_a_file_that_is_not_what_it_claims_fails_the_job_and_changes_nothing(tmp_path, parsing):
    page = tmp_path / "bnlc.csv"
    page.write_text("<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "utf-8")
    with pytest.raises(SourceFileError, match="page HTML ou XML"):
        _import(page)
    job = HarvestJob.objects.get()
    assert job.status == HarvestJob.Status.FAILED
    assert "page HTML ou XML" in job.error
    assert Initiative.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.real_data
def test_repeated_rows_inside_a_file_are_skipped_with_the_line(bnlc, tmp_path, parsing):
    header, rows = read_rows(bnlc)
    renamed = {**rows[0], "nom_lieu": "Une autre aire, même identifiant"}
    job = _import(write_rows(tmp_path / "a.csv", header, [rows[0], rows[1], rows[0], renamed]))
    repeated = HarvestItem.objects.get(job=job, row_number=3)
    assert repeated.outcome == "skipped"
    assert any("ligne répétée à l'identique" in r and "ligne 1" in r for r in repeated.reasons)
    assert repeated.raw == rows[0]  # the cells, as received
    # Same id, other values: another place, known by its content.
    other = HarvestItem.objects.get(job=job, row_number=4)
    assert other.outcome == "new"
    assert other.remote_id.startswith("auto:")
    assert job.status == HarvestJob.Status.DONE
    assert job.columns == header


@pytest.mark.django_db
@pytest.mark.real_data
def test_cli_prints_the_summary_and_writes_the_row_report(bnlc, tmp_path, capsys):
    report = tmp_path / "report.csv"
    call_command("import", "bnlc", str(bnlc), "--source", "bnlc", "--report", str(report))
    summary = json.loads(capsys.readouterr().out)
    for key in ["job", "outcomes", "categories", "reasons"]:
        assert key in summary
    assert set(summary["outcomes"]) >= {"new", "updated", "unchanged", "skipped", "rejected",
                                        "archived"}  # fmt: skip
    with report.open(encoding="utf-8") as handle:
        lines = list(csv.DictReader(handle))
    assert len(lines) == 2473
    assert {"remote_id", "outcome", "reasons", "commune_id", "category", "initiative_id"} <= set(
        lines[0]
    )


@pytest.mark.django_db
def test_cli_errors_are_clear(tmp_path):
    with pytest.raises(CommandError, match="introuvable") as missing:
        call_command("import", "bnlc", str(tmp_path / "absent.csv"))
    assert missing.value.returncode == 2
    with pytest.raises(CommandError, match="Catégorie inconnue"):
        call_command("import", "bnlc", str(tmp_path / "absent.csv"), "--category", "nope")


def test_reason_kinds_stay_few_whatever_the_cell_values():
    from maillage.sources.harvest import _reason_kind

    assert _reason_kind("hors de France : le point (longitude 1, latitude 2)") == "hors de France"
    assert _reason_kind("coordonnées illisibles (« N/A », « 48°51'N »)") == "coordonnées illisibles"
    assert _reason_kind("catégorie « Autre » (colonne TYPE) absente") == "catégorie"


@pytest.mark.django_db
@pytest.mark.real_data
def test_a_latitude_beyond_90_is_impossible_not_abroad(bnlc, tmp_path):
    header, rows = read_rows(bnlc)
    rows[0]["Ylat"] = "95.2"
    job = _import(write_rows(tmp_path / "a.csv", header, rows[:1]))
    item = HarvestItem.objects.get(job=job)
    assert item.outcome == "rejected"
    assert item.reasons[0].startswith("coordonnées impossibles")


@pytest.mark.django_db
@pytest.mark.real_data
def test_dry_run_proposes_a_mapping_the_user_can_save_as_yaml_and_reuse(raw_data, tmp_path, capsys):
    import yaml

    census = raw_data / "tiers-lieux-cget-2019" / "CGET_TiersLieux_2019.csv"
    call_command("import", "csv", str(census), "--source", "cget", "--dry-run")
    proposed = json.loads(capsys.readouterr().out)["mapping"]
    assert proposed["fields"]["lat"] == "LAT"
    assert Initiative.objects.count() == 0  # a dry run writes no initiative
    saved = tmp_path / "cget.yaml"
    saved.write_text(yaml.safe_dump(proposed, allow_unicode=True), "utf-8")
    call_command("import", "csv", str(census), "--source", "cget", "--mapping", str(saved))
    summary = json.loads(capsys.readouterr().out)
    assert summary["outcomes"]["new"] + summary["outcomes"]["rejected"] == 1512
    assert Initiative.objects.count() == summary["outcomes"]["new"] > 1400
    broken = tmp_path / "broken.yaml"
    broken.write_text("fields: [unclosed", "utf-8")
    with pytest.raises(CommandError, match="YAML") as error:
        call_command("import", "csv", str(census), "--mapping", str(broken))
    assert error.value.returncode == 2
