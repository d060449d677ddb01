"""Bounded input and answers instead of crashes (issue 12, points 3 and 5): every file here is
small and written by the test itself; each hostile case ends with a French message and exit
code 2 (command line) or a 4xx page / a failed job (staff pages), and nothing stored beyond
the failed job's record."""

import json
import re
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from maillage.catalog.models import Initiative
from maillage.sources.backends.tabular import XlsxBackend
from maillage.sources.background import execute_job
from maillage.sources.errors import SourceFileError
from maillage.sources.limits import KEPT_CHARS
from maillage.sources.mappings import MappingError, load_mapping
from maillage.sources.models import HarvestItem, HarvestJob, Source, SourceRecord
from maillage.sources.rejected_cap import cap_note

from .xlsxfiles import inline, row, write_workbook

pytestmark = pytest.mark.django_db

HEADER = "nom,adresse,code_insee,lat,lon"
GOOD = ["Repair café,1 rue de Paris,35238,48.11,-1.68", "AMAP,2 rue de Brest,35238,48.12,-1.67"]


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path / "var"
    settings.LANGUAGE_CODE = "fr"
    return settings.DATA_DIR


def _cli(*args: str, capsys: pytest.CaptureFixture[str]) -> dict:
    call_command("import", *args)
    return json.loads(capsys.readouterr().out)


def _refused(*args: str) -> str:
    """The French message of a command that must exit with code 2."""
    with pytest.raises(CommandError) as error:
        call_command("import", *args)
    assert error.value.returncode == 2
    return str(error.value)


def _nothing_stored_but_the_failed_job(source: str) -> None:
    job = HarvestJob.objects.get(source__name=source)
    assert job.status == HarvestJob.Status.FAILED
    assert not HarvestItem.objects.filter(job=job).exists()
    assert not SourceRecord.objects.filter(source__name=source).exists()
    assert not Initiative.objects.filter(source_records__source__name=source).exists()


# --- CSV ------------------------------------------------------------------------------------


def test_a_csv_with_bare_cr_line_ends_is_read_like_any_other(tmp_path, capsys):
    path = tmp_path / "mac.csv"
    path.write_bytes("\r".join([HEADER, *GOOD, ""]).encode())
    summary = _cli("csv", str(path), "--source", "mac", "--dry-run", capsys=capsys)
    assert summary["rows"] == 2
    assert summary["outcomes"]["rejected"] == 0
    names = {item.raw["nom"] for item in HarvestItem.objects.filter(job_id=summary["job"])}
    assert names == {"Repair café", "AMAP"}


@pytest.mark.parametrize("size", [140_000, 250_000])
def test_a_cell_longer_than_the_cap_rejects_its_row_kept_cut(tmp_path, capsys, size):
    """131–256 K characters used to stop the whole file on csv's own field limit."""
    path = tmp_path / "long.csv"
    long_row = f"Longue,{'x' * size},35238,48.1,-1.6"
    path.write_text("\n".join([HEADER, GOOD[0], long_row, GOOD[1], ""]), "utf-8")
    summary = _cli("csv", str(path), "--source", "long", capsys=capsys)
    assert summary["outcomes"]["new"] == 2
    assert summary["outcomes"]["rejected"] == 1
    assert summary["reasons"]["cellule trop longue"] == 1
    item = HarvestItem.objects.get(job_id=summary["job"], outcome="rejected")
    assert item.row_number == 2
    assert item.reasons == [
        "cellule trop longue : colonne « adresse », plus de 32\u202f768 caractères ; cellule "
        "tronquée dans le rapport"
    ]
    assert item.raw["nom"] == "Longue"
    assert len(item.raw["adresse"]) == KEPT_CHARS + 1  # cut, with an ellipsis
    assert len(json.dumps(item.raw)) < 2 * KEPT_CHARS


def test_a_row_of_many_long_cells_is_rejected_as_too_long(tmp_path, capsys, settings):
    settings.MAILLAGE_IMPORT_MAX_ROW_CHARS = 50_000
    path = tmp_path / "wide.csv"
    cells = ",".join(["y" * 30_000] * 3)
    path.write_text(f"nom,a,b,c\nLieu,{cells}\n", "utf-8")
    summary = _cli("csv", str(path), "--source", "wide", "--dry-run", capsys=capsys)
    item = HarvestItem.objects.get(job_id=summary["job"])
    assert item.reasons[0].startswith("ligne trop longue : 90\u202f004 caractères, au plus 50")


def test_a_line_longer_than_any_table_line_fails_the_file(tmp_path):
    """A 6 MB line (a quote never closed) is refused while the file is checked, before a
    single line is read whole into memory."""
    path = tmp_path / "une-ligne.csv"
    path.write_text(HEADER + "\n" + "z" * 6_000_000 + "\n", "utf-8")
    message = _refused("csv", str(path), "--source", "une-ligne")
    assert "une ligne de plus de 4\u202f194\u202f304 octets" in message
    assert "ce n'est pas un tableau CSV" in message
    _nothing_stored_but_the_failed_job("une-ligne")


def test_a_file_larger_than_the_limit_is_refused(tmp_path, settings):
    settings.MAILLAGE_IMPORT_MAX_FILE_BYTES = 100
    path = tmp_path / "gros.csv"
    path.write_text("\n".join([HEADER, *GOOD, *GOOD]), "utf-8")
    message = _refused("csv", str(path), "--source", "gros")
    assert "au plus 100 (MAILLAGE_IMPORT_MAX_FILE_BYTES)" in message
    _nothing_stored_but_the_failed_job("gros")


def test_a_file_of_more_rows_than_allowed_is_refused(tmp_path, settings):
    settings.MAILLAGE_IMPORT_MAX_ROWS = 3
    path = tmp_path / "lignes.csv"
    path.write_text("\n".join([HEADER, *GOOD, *GOOD]), "utf-8")
    message = _refused("csv", str(path), "--source", "lignes")
    assert "plus de 3 lignes (MAILLAGE_IMPORT_MAX_ROWS)" in message
    _nothing_stored_but_the_failed_job("lignes")


def test_beyond_the_cap_rejected_rows_are_counted_but_their_cells_not_kept(
    tmp_path, capsys, settings
):
    settings.MAILLAGE_IMPORT_MAX_REJECTED_KEPT = 3
    path = tmp_path / "vides.csv"
    empty = [f",,,,{n}" for n in range(7)]  # no name, address nor point: rejected
    path.write_text("\n".join([HEADER, GOOD[0], *empty, ""]), "utf-8")
    summary = _cli("csv", str(path), "--source", "vides", capsys=capsys)
    assert summary["outcomes"]["rejected"] == 7
    rejected = HarvestItem.objects.filter(job_id=summary["job"], outcome="rejected")
    kept = [item.raw for item in rejected.order_by("row_number")]
    assert [bool(raw) for raw in kept] == [True] * 3 + [False] * 4
    assert all(item.reasons for item in rejected)
    job = HarvestJob.objects.get(pk=summary["job"])
    assert cap_note(3) in job.notes
    assert "au-delà des 3 premières" in cap_note(3)


# --- XLSX -----------------------------------------------------------------------------------


def _rows(path: Path) -> list:
    backend = XlsxBackend()
    return [(r, _outcome(backend, r)) for r in backend.rows(path)]


def _outcome(backend: XlsxBackend, raw_row) -> str:
    try:
        return backend.parse(raw_row).name
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize("shared", [False, True])
def test_an_xlsx_cell_of_megabytes_is_cut_while_read_and_rejects_its_row(tmp_path, shared):
    """7 MB in one cell (inline or shared string): never held whole; the row is rejected and
    kept cut."""
    big = "é" * 3_500_000
    cell = '<c t="s"><v>0</v></c>' if shared else inline(big)
    path = write_workbook(
        tmp_path / "cellule.xlsx",
        [
            row([inline("nom"), inline("adresse")]),
            row([inline("A"), cell]),
            row([inline("B"), inline("2 rue")]),
        ],  # fmt: skip
        shared=[big] if shared else [],
    )
    assert path.stat().st_size < 200_000
    (first, outcome), (second, name) = _rows(path)
    assert outcome.startswith("RowRejected: cellule trop longue : colonne « adresse »")
    assert len(first.data["adresse"]) == KEPT_CHARS + 1
    assert name == "B"


def test_an_xlsx_claiming_rows_past_excel_s_last_is_refused_at_once(tmp_path):
    path = write_workbook(
        tmp_path / "lignes.xlsx",
        [row([inline("nom")], 1), row([inline("A")], 2), row([inline("B")], 3_000_000)],
    )
    with pytest.raises(SourceFileError, match=r"au moins 3\u202f000\u202f000 lignes"):
        _rows(path)


def test_an_xlsx_of_more_rows_than_allowed_is_refused_before_parsing(tmp_path, settings):
    settings.MAILLAGE_IMPORT_MAX_ROWS = 5
    path = write_workbook(
        tmp_path / "lignes.xlsx", [row([inline("nom")]), *[row([inline("A")])] * 9]
    )
    with pytest.raises(SourceFileError, match="la feuille compte au moins 10 lignes, au plus 5"):
        XlsxBackend().rows(path).__next__()


def test_an_xlsx_row_wider_than_allowed_is_rejected_without_building_it(tmp_path, settings):
    settings.MAILLAGE_IMPORT_MAX_COLUMNS = 4
    wide = '<c r="XFD2" t="inlineStr"><is><t>loin</t></is></c>'
    path = write_workbook(
        tmp_path / "large.xlsx",
        [row([inline("nom"), inline("adresse"), inline("ville")], 1), row([inline("A"), wide], 2)],
    )
    ((first, outcome),) = _rows(path)
    assert outcome == "RowRejected: ligne trop large : plus de 4 cellules"
    assert first.data["__extra_cells__"] == [None, "loin"]  # not 16,381 cells


def test_an_xlsx_row_of_countless_cells_is_refused(tmp_path):
    cells = "<c/>" * 200_000  # 800 KB, compressed to a few KB
    path = write_workbook(tmp_path / "cellules.xlsx", [row([inline("nom")]), row([cells])])
    with pytest.raises(SourceFileError, match="balises XML dans une ligne"):
        _rows(path)


def test_an_xlsx_bomb_is_refused_before_anything_is_decompressed(tmp_path, settings):
    settings.MAILLAGE_IMPORT_MAX_FILE_BYTES = 5_000_000
    filler = " " * 6_000_000  # 6 MB of sheet once decompressed, 6 KB in the archive
    path = write_workbook(tmp_path / "bombe.xlsx", [row([inline("nom")]), filler])
    assert path.stat().st_size < 50_000
    message = _refused("xlsx", str(path), "--source", "bombe")
    assert "classeur XLSX refusé" in message
    assert "une fois décompressé, au plus 5\u202f000\u202f000" in message
    _nothing_stored_but_the_failed_job("bombe")


def test_an_xlsx_style_part_too_large_is_refused(tmp_path):
    path = write_workbook(tmp_path / "styles.xlsx", [row([inline("nom")])])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/styles.xml", "<styleSheet>" + " " * 17_000_000 + "</styleSheet>")
    with pytest.raises(SourceFileError, match="la partie xl/styles.xml fait"):
        _rows(path)


# --- mappings -------------------------------------------------------------------------------

ALIASES = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]" for i in range(8)]
)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("bombe.yaml", ALIASES, "les ancres et alias YAML (& et *) ne sont pas admis"),
        ("profond.json", "[" * 200_000 + "]" * 200_000, "imbrique trop d'objets ou de listes"),
        ("profond.yaml", "[" * 200_000 + "]" * 200_000, "imbrique trop d'objets ou de listes"),
        ("nan.json", '{"fields": {"name": NaN}}', "nombre refusé « NaN »"),
        ("infini.json", '{"header_row": 1e999999}', "seuls les nombres finis sont admis"),
        ("infini.yaml", "header_row: .inf", "nombre non fini"),
        ("date.yaml", "fields: {name: 2024-01-01}", "valeur de type date"),
        ("long.json", '{"x": ' + "9" * 5000 + "}", "nombre refusé"),
    ],
)
def test_a_hostile_mapping_is_refused_on_the_command_line(tmp_path, name, text, expected):
    assert len(ALIASES) < 1400  # the 1.3 KB file that once took 11.7 GB
    mapping = tmp_path / name
    mapping.write_text(text, "utf-8")
    data = tmp_path / "lieux.csv"
    data.write_text("\n".join([HEADER, *GOOD]), "utf-8")
    with pytest.raises(MappingError, match=re.escape(expected)):
        load_mapping(mapping)
    message = _refused("csv", str(data), "--mapping", str(mapping), "--source", "m")
    assert expected in message
    assert not Source.objects.filter(name="m").exists()  # refused before any job


def test_a_mapping_wrong_for_the_format_is_refused_before_any_job(tmp_path):
    mapping = tmp_path / "m.json"
    mapping.write_text('{"fields": {"nom": "NOM"}}', "utf-8")
    data = tmp_path / "lieux.csv"
    data.write_text("\n".join([HEADER, *GOOD]), "utf-8")
    message = _refused("csv", str(data), "--mapping", str(mapping), "--source", "m")
    assert "champ(s) inconnu(s) nom" in message
    assert not HarvestJob.objects.exists()


# --- staff pages ----------------------------------------------------------------------------


def _post(admin_client, data_dir: Path, content: bytes, **fields: object):
    form = {
        "backend": "csv",
        "source": "depot",
        "licence": "inconnue",
        "attribution": "",
        "category": "",
        "mapping_text": "",
        "file": SimpleUploadedFile("lieux.csv", content, content_type="text/csv"),
        **fields,
    }
    return admin_client.post(reverse("imports:new"), form)


def _uploads(data_dir: Path) -> list[Path]:
    folder = data_dir / "uploads"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@pytest.mark.parametrize(
    ("mapping", "expected"),
    [
        ("[" * 200_000 + "]" * 200_000, "imbrique trop d&#x27;objets ou de listes"),
        ('{"fields": {"name": "nom"}, "header_row": NaN}', "nombre refusé « NaN »"),
        ('{"fields": {"name": "nom"}, "header_row": 1e999999}', "seuls les nombres finis"),
    ],
)
def test_a_hostile_mapping_pasted_in_the_form_is_a_form_error(
    admin_client, data_dir, mapping, expected
):
    content = "\n".join([HEADER, *GOOD]).encode()
    response = _post(admin_client, data_dir, content, mapping_text=mapping)
    assert response.status_code == 400
    html = response.content.decode()
    assert expected in html
    assert "Le formulaire contient des erreurs" in html
    assert _uploads(data_dir) == []
    assert not Source.objects.filter(name="depot").exists()
    assert not HarvestJob.objects.exists()


def test_a_yaml_mapping_file_with_aliases_is_a_form_error(admin_client, data_dir):
    content = "\n".join([HEADER, *GOOD]).encode()
    upload = SimpleUploadedFile("m.yaml", ALIASES.encode(), content_type="text/yaml")
    response = _post(admin_client, data_dir, content, mapping_file=upload)
    assert response.status_code == 400
    assert "les ancres et alias YAML" in response.content.decode()
    assert _uploads(data_dir) == []


def test_a_failed_request_leaves_no_upload_behind(admin_client, data_dir, monkeypatch):
    from maillage.sources import services

    def broken(*args: object) -> None:
        raise services.ImportRefused("refusé")

    monkeypatch.setattr(services, "_create_dry_run", broken)
    response = _post(admin_client, data_dir, "\n".join([HEADER, *GOOD]).encode())
    assert response.status_code == 400
    assert _uploads(data_dir) == []


def test_a_file_the_reader_refuses_fails_its_job_in_french(admin_client, data_dir, settings):
    content = ("\n".join([HEADER, *GOOD]) + "\n" + "z" * 5_000_000).encode()
    response = _post(admin_client, data_dir, content)
    assert response.status_code == 302
    job = HarvestJob.objects.get()
    with pytest.raises(SourceFileError):
        execute_job(job.pk)
    job.refresh_from_db()
    assert job.status == HarvestJob.Status.FAILED
    assert "ce n'est pas un tableau CSV" in job.error
    assert "Error(" not in job.error
    _nothing_stored_but_the_failed_job("depot")
    page = admin_client.get(reverse("imports:job", kwargs={"job_id": job.pk}))
    assert page.status_code == 200
    assert "ce n&#x27;est pas un tableau CSV" in page.content.decode()


def test_a_bare_cr_file_uploaded_is_read(admin_client, data_dir):
    content = "\r".join([HEADER, *GOOD, ""]).encode()
    assert _post(admin_client, data_dir, content).status_code == 302
    job = execute_job(HarvestJob.objects.get().pk)
    assert job.status == HarvestJob.Status.DONE
    assert job.rows == 2
