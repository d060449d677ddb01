"""What an import leaves for the public: nothing until an import of the source has succeeded
for real (failed files and dry runs leave no trace on /sources/, and the licence and
attribution given with a web dry run wait for its confirmation); a website is kept only when
it is an http(s) address; the command refuses a format that is not the source's."""

import csv
import gzip
import io
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from maillage.sources.background import execute_job
from maillage.sources.models import HarvestItem, HarvestJob, Source
from maillage.sources.services import NewImport, confirm_import, create_import

HEADER = ["identifiant", "nom", "latitude", "longitude", "site web"]
# Rennes: real places' shape (a repair café, a library of things).
ROWS = [
    ["r1", "Repair café de Villejean", "48.1213", "-1.7039", "https://repair.example.org"],
    ["r2", "Objèthèque du Blosne", "48.0878", "-1.6598", ""],
]


def _csv(path: Path, rows: list[list[str]] = ROWS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def _import(path: Path, *args: str) -> dict:
    out = io.StringIO()
    call_command(
        "import", "csv", str(path), "--category", "repair-cafe", *args,
        stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    return json.loads(out.getvalue())


def _public_names(client) -> list[str]:
    return [s["name"] for s in client.get("/sources/?format=json").json()["sources"]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content",
    [
        b"",  # empty
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01" + bytes(range(256)) * 4,  # binary
        gzip.compress(b"identifiant;nom\nr1;Repair caf\xc3\xa9\n"),  # compressed
    ],
    ids=["empty", "binary", "gzip"],
)
def test_a_failed_import_leaves_no_public_source(client, tmp_path, content):
    path = tmp_path / "initiatives.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError) as failed:
        _import(path, "--source", "essai", "--licence", "ODbL 1.0")
    assert failed.value.returncode == 2
    assert HarvestJob.objects.get(source__name="essai").status == HarvestJob.Status.FAILED
    assert _public_names(client) == []
    html = client.get("/sources/").content.decode()
    assert "Aucune source n'a encore été importée." in html
    assert "ODbL 1.0" not in html


@pytest.mark.django_db
def test_a_source_is_public_once_an_import_succeeded_for_real(client, tmp_path):
    path = _csv(tmp_path / "repair.csv")
    _import(path, "--source", "repair", "--licence", "ODbL 1.0", "--dry-run")
    assert _public_names(client) == []
    _import(path, "--source", "repair", "--licence", "ODbL 1.0")
    (shown,) = client.get("/sources/?format=json").json()["sources"]
    assert (shown["name"], shown["licence"], shown["records"]) == ("repair", "ODbL 1.0", 2)
    assert shown["last_import"] is not None
    # A later failed import does not hide it, nor pass for its last import.
    (tmp_path / "vide.csv").write_bytes(b"")
    with pytest.raises(CommandError):
        _import(tmp_path / "vide.csv", "--source", "repair")
    (again,) = client.get("/sources/?format=json").json()["sources"]
    assert again["last_import"] == shown["last_import"]


@pytest.mark.django_db
def test_licence_and_attribution_of_a_web_dry_run_wait_for_its_confirmation(
    client, admin_user, settings, tmp_path
):
    settings.DATA_DIR = tmp_path
    path = _csv(tmp_path / "repair.csv")
    _import(path, "--source", "repair", "--licence", "ODbL 1.0")
    new = NewImport(
        backend="csv", source="repair", label="Ateliers de réparation", licence="CC-BY 4.0",
        attribution="Ville de Rennes", category="repair-cafe",
    )  # fmt: skip
    upload = SimpleUploadedFile("repair.csv", path.read_bytes(), content_type="text/csv")
    dry_run = execute_job(create_import(new, upload, admin_user).pk)
    assert dry_run.status == HarvestJob.Status.DONE

    def public() -> tuple[str, str, str]:
        (row,) = client.get("/sources/?format=json").json()["sources"]
        return row["label"], row["licence"], row["attribution"]

    assert public() == ("repair", "ODbL 1.0", "")
    assert "CC-BY 4.0" not in client.get("/sources/").content.decode()
    client.force_login(admin_user)
    job_page = client.get(f"/imports/{dry_run.pk}/").content.decode()
    assert "<dd>CC-BY 4.0 (publiée à la confirmation de l'import)</dd>" in job_page
    assert "<dd>Ville de Rennes (publiée à la confirmation de l'import)</dd>" in job_page
    real = execute_job(confirm_import(dry_run, admin_user).pk)
    assert real.status == HarvestJob.Status.DONE
    assert public() == ("Ateliers de réparation", "CC-BY 4.0", "Ville de Rennes")


@pytest.mark.django_db
def test_the_command_refuses_a_format_that_is_not_the_sources(tmp_path):
    path = _csv(tmp_path / "repair.csv")
    Source.objects.create(name="ateliers", backend="xlsx")
    with pytest.raises(CommandError) as refused:
        _import(path, "--source", "ateliers")
    assert refused.value.returncode == 2
    assert "La source « ateliers » est au format xlsx, pas csv" in str(refused.value)
    assert not HarvestJob.objects.exists()


@pytest.mark.django_db
def test_only_http_websites_are_stored_and_each_row_is_kept(tmp_path):
    websites = {
        "w1": ("javascript:alert(1)", "", "adresse « javascript: » refusée"),
        "w2": ("data:text/html,<script>alert(1)</script>", "", "adresse « data: » refusée"),
        "w3": ("VBScript:msgbox(1)", "", "adresse « vbscript: » refusée"),
        "w4": ("java\tscript:alert(1)", "", "seules les adresses http(s) sont gardées"),
        "w5": ("mailto:atelier@example.org", "", "adresse « mailto: » refusée"),
        "w6": ("www.repair.example.org", "https://www.repair.example.org", None),
        "w7": ("https://repair.example.org/rennes", "https://repair.example.org/rennes", None),
    }
    rows = [
        [key, f"Atelier {key}", "48.11", f"-1.6{i}", website]
        for i, (key, (website, _kept, _reason)) in enumerate(websites.items())
    ]
    summary = _import(_csv(tmp_path / "sites.csv", rows), "--source", "sites")
    assert summary["outcomes"]["new"] == len(websites)
    assert summary["reasons"]["site web écarté"] == 5
    for key, (_website, kept, reason) in websites.items():
        item = HarvestItem.objects.get(remote_id=key)
        assert item.outcome == "new"
        assert item.initiative is not None
        assert item.initiative.website == kept
        if reason:
            assert any(r.startswith("site web écarté") and reason in r for r in item.reasons)
        else:
            assert not any("site web" in r for r in item.reasons)
