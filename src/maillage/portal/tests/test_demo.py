"""Demo data: `maillage load-demo` (from MAILLAGE_DEMO_DATA, the raw-data folder or what was
downloaded; nothing found is not an error), `maillage fetch-demo` against an HTTP server on
127.0.0.1 that the tests start themselves, and the home page of an empty inventory.

The files loaded or served here are written by the tests (rows of the real shapes, made up),
except in the `real_data` tests, which use the real files of the raw-data folder."""

import csv
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from maillage.catalog.models import Initiative
from maillage.catalog.services import create_initiative
from maillage.indicators.models import CountSnapshot
from maillage.portal import demo
from maillage.sources.models import HarvestJob, Source

BNLC_COLUMNS = [
    "id_lieu", "id_local", "nom_lieu", "ad_lieu", "com_lieu", "insee", "type", "date_maj",
    "ouvert", "source", "Xlong", "Ylat", "nbre_pl", "nbre_pmr", "duree", "horaires", "proprio",
    "lumiere", "comm",
]  # fmt: skip
CGET_COLUMNS = [
    "ID", "NOM_TL", "ADRESSE", "CP", "COMINIT", "INSEECOM", "NOMCOM", "WEB", "TWITTER",
    "FACEBOOK", "TYPO", "LAT", "LONG", "GEOCOD", "PRECISION", "CONTACT", "MAIL", "METRO",
    "NOMMETRO", "INSEEREG", "NOMREG", "INSEEMETRO", "INSEEDEP", "NOMCOMMETRO", "POPCOM",
    "COMCLASS", "INSEE_ZE", "NOM_ZE", "CLASS_ZE", "POP_ZE",
]  # fmt: skip


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _demo_folder(folder: Path) -> Path:
    """Three small demo files of the real shapes, with made-up places in real communes."""
    folder.mkdir(parents=True, exist_ok=True)
    _write_csv(
        folder / "bnlc.csv",
        BNLC_COLUMNS,
        [
            {"id_lieu": "35238-C-901", "nom_lieu": "Aire d'essai Rennes", "com_lieu": "RENNES",
             "insee": "35238", "type": "Aire de covoiturage", "date_maj": "2022-07-11",
             "ouvert": "true", "Xlong": "-1.6778", "Ylat": "48.1173", "nbre_pl": "20"},
            {"id_lieu": "29019-C-901", "nom_lieu": "Parking d'essai Brest", "com_lieu": "BREST",
             "insee": "29019", "type": "Parking", "date_maj": "2021-03-02", "ouvert": "true",
             "Xlong": "-4.4861", "Ylat": "48.3904", "nbre_pl": "35"},
            {"id_lieu": "56260-C-901", "nom_lieu": "Arrêt d'essai Vannes", "com_lieu": "VANNES",
             "insee": "56260", "type": "Auto-stop", "date_maj": "2020-01-15", "ouvert": "true",
             "Xlong": "-2.7603", "Ylat": "47.6586", "nbre_pl": "0"},
        ],
    )  # fmt: skip
    _write_csv(
        folder / "CGET_TiersLieux_2019.csv",
        CGET_COLUMNS,
        [
            {"ID": "9001", "NOM_TL": "Atelier d'essai", "CP": "56100", "INSEECOM": "56121",
             "NOMCOM": "Lorient", "TYPO": "Tiers lieux à dominante fablab", "LAT": "47.7483",
             "LONG": "-3.3702", "PRECISION": "0.9"},
            {"ID": "9002", "NOM_TL": "Bureaux d'essai", "CP": "29000", "INSEECOM": "29232",
             "NOMCOM": "Quimper", "TYPO": "Tiers lieux à dominante coworking",
             "LAT": "47.9960", "LONG": "-4.1024", "PRECISION": "0.9"},
        ],
    )  # fmt: skip
    (folder / "history_feature_counts.csv").write_text(
        "commit,commit_date,n_features_total,n_fablab,n_tierslieu,n_frenchtech,parse_ok\n"
        "a1,2016-01-10T10:00:00+01:00,12,5,3,1,True\n"
        "a2,2017-03-05T09:00:00+01:00,3,0,0,0,False\n"
        "a3,2018-06-01T12:00:00+02:00,30,11,9,2,True\n",
        "utf-8",
    )
    return folder


@pytest.fixture
def no_demo_data(settings, tmp_path: Path) -> Path:
    """Neither MAILLAGE_DEMO_DATA, nor a raw-data folder, nor downloads: a bare install."""
    settings.DEMO_DATA_DIR = None
    settings.RAW_DATA_DIR = tmp_path / "no-raw-data"
    settings.DATA_DIR = tmp_path / "var"
    return settings.DATA_DIR


def _load_demo() -> tuple[dict, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("load-demo", stdout=out, stderr=err)
    return json.loads(out.getvalue()), err.getvalue()


# load-demo ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_demo_data_load_demo_says_how_to_get_it_and_succeeds(no_demo_data):
    summary, err = _load_demo()
    assert summary == {"sources": [], "series": [], "registers": []}
    assert "Aucune donnée de démonstration trouvée" in err
    assert "maillage fetch-demo" in err
    assert "MAILLAGE_DEMO_DATA" in err
    assert not Source.objects.exists()


def test_the_command_exits_0_without_demo_data(tmp_path: Path):
    env = {
        **os.environ,
        "MAILLAGE_DATA_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MAILLAGE_RAW_DATA": str(tmp_path / "no-raw-data"),
    }
    env.pop("MAILLAGE_DEMO_DATA", None)
    done = subprocess.run(
        [sys.executable, "-m", "maillage.cli", "load-demo"],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout) == {"sources": [], "series": [], "registers": []}
    assert "maillage fetch-demo" in done.stderr.decode()


@pytest.mark.django_db
def test_a_demo_folder_that_does_not_exist_is_a_clear_error(no_demo_data, settings, tmp_path):
    settings.DEMO_DATA_DIR = tmp_path / "absent"
    with pytest.raises(CommandError, match="MAILLAGE_DEMO_DATA désigne .*absent") as error:
        call_command("load-demo", stdout=io.StringIO(), stderr=io.StringIO())
    assert error.value.returncode == 2


def test_load_demo_from_the_folder_of_maillage_demo_data(referential, no_demo_data, settings):
    settings.DEMO_DATA_DIR = _demo_folder(no_demo_data.parent / "demo-files")
    summary, err = _load_demo()
    bnlc, census = summary["sources"]
    assert (bnlc["source"], bnlc["rows"], bnlc["outcomes"]["new"]) == ("bnlc", 3, 3)
    assert (census["source"], census["rows"], census["outcomes"]["new"]) == (
        "tiers-lieux-cget-2019",
        2,
        2,
    )
    assert set(Initiative.objects.values_list("commune_id", flat=True)) == {
        "com:35238", "com:29019", "com:56260", "com:56121", "com:29232",
    }  # fmt: skip
    # Two readable versions of the map kept, the unreadable one skipped.
    (series,) = summary["series"]
    assert (series["source"], series["skipped"]) == ("maplab-bzh", 1)
    totals = CountSnapshot.objects.filter(source="maplab-bzh", category__isnull=True)
    assert sorted(totals.values_list("count", flat=True)) == [12, 30]
    assert str(settings.DEMO_DATA_DIR) in err

    again, _err = _load_demo()  # idempotent: the same files are not read again
    assert {s["status"] for s in again["sources"]} == {"up-to-date"}
    assert HarvestJob.objects.count() == 2
    assert Initiative.objects.count() == 5


def test_downloaded_files_are_found_and_missing_ones_said(referential, no_demo_data):
    _demo_folder(no_demo_data / "demo")  # where fetch-demo writes
    (no_demo_data / "demo" / "CGET_TiersLieux_2019.csv").unlink()
    summary, err = _load_demo()
    assert [s["source"] for s in summary["sources"]] == ["bnlc"]
    assert "CGET_TiersLieux_2019.csv introuvable" in err
    assert [s["source"] for s in summary["series"]] == ["maplab-bzh"]


@pytest.mark.real_data
@pytest.mark.django_db
def test_real_demo_sources_load_once_and_show_their_attribution(
    client, raw_data, no_demo_data, settings
):
    settings.RAW_DATA_DIR = raw_data
    loaded, _err = _load_demo()
    first = loaded["sources"]
    assert [r["source"] for r in first] == [
        "bnlc", "tiers-lieux-cget-2019", "inside-airbnb-lyon", "inside-airbnb-bordeaux", "rna-37"
    ]  # fmt: skip
    # The RNA's candidates wait for review; the SIRENE register of Lyon 4e is counted.
    assert Source.objects.get(name="rna-37").moderation == Source.Moderation.REVIEW
    # Candidates under review claim no coverage: « non couvert » stays true where they are.
    rna = Source.objects.get(name="rna-37")
    assert (rna.coverage_categories, rna.coverage_area) == ([], [])
    assert Source.objects.get(name="bnlc").coverage_categories == ["covoiturage"]
    assert first[4]["outcomes"]["new"] == Initiative.objects.filter(published=False).count()
    (register,) = loaded["registers"]
    assert (register["source"], register["status"], register["rows"]) == (
        "sirene-lyon-4e",
        "done",
        58228,
    )
    # The #MapLabBZH series: 120 readable versions of the map, the last of each day kept.
    assert loaded["series"][0]["source"] == "maplab-bzh"
    assert loaded["series"][0]["skipped"] == 10
    assert first[0]["outcomes"]["new"] == 2472
    # 1,512 census rows; those without a place or a name are rejected with their reason.
    assert first[1]["rows"] == 1512
    assert sum(first[1]["outcomes"].values()) == 1512
    count = Initiative.objects.count()
    second, _err = _load_demo()
    assert {r["status"] for r in second["sources"]} == {"up-to-date"}
    assert second["series"][0]["replaced"] == loaded["series"][0]["stored"]
    assert second["registers"][0]["status"] == "up-to-date"
    assert Initiative.objects.count() == count
    assert HarvestJob.objects.count() == 5
    html = client.get("/sources/").content.decode()
    assert "transport.data.gouv.fr, ODbL" in html
    assert "Licence Ouverte 2.0" in html
    # The platform footprint: Inside Airbnb's listings, as figures per commune.
    assert (first[2]["rows"], first[3]["rows"]) == (10113, 12032)
    assert first[2]["footprints"]["date"] == "2024-03-23"
    assert "Inside Airbnb (insideairbnb.com)" in html
    assert "CC BY 4.0" in html
    data = client.get("/sources/?format=json").json()
    bnlc = next(s for s in data["sources"] if s["name"] == "bnlc")
    assert bnlc["records"] == 2472
    assert Initiative.objects.filter(category_id="coworking").count() > 1000
    assert not Initiative.objects.exclude(contact_name="").exists()  # people's names dropped


# fetch-demo --------------------------------------------------------------------------------


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[tuple[Path, str, list[str]]]:
    """A real HTTP server on 127.0.0.1 serving a folder the test fills; the paths asked."""
    root = tmp_path / "served"
    root.mkdir()
    asked: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, format, *args):
            asked.append(self.path)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_fetch_downloads_checks_and_keeps_what_is_there(http_server, no_demo_data):
    root, base, asked = http_server
    content = b"id_lieu,nom_lieu\n1,Aire d'essai\n"
    (root / "tiny.csv").write_bytes(content)
    tiny = demo.DemoFile(
        name="tiny.csv",
        raw_path="tiny/tiny.csv",
        sha256=hashlib.sha256(content).hexdigest(),
        url=f"{base}/tiny.csv",
    )
    first = demo.fetch_demo(files=[tiny])
    assert first["files"][0]["status"] == "downloaded"
    assert first["files"][0]["bytes"] == len(content)
    assert (no_demo_data / "demo" / "tiny.csv").read_bytes() == content
    assert demo.find_demo_file(tiny) == no_demo_data / "demo" / "tiny.csv"
    again = demo.fetch_demo(files=[tiny])
    assert again["files"][0]["status"] == "present"
    assert asked == ["/tiny.csv"]  # not downloaded twice


@pytest.mark.django_db
def test_fetch_refuses_a_wrong_checksum_and_says_what_is_missing(http_server, no_demo_data):
    root, base, _asked = http_server
    (root / "bnlc.csv").write_text("id_lieu,nom_lieu\n1,Pas le vrai fichier\n", "utf-8")
    (root / "history_feature_counts.csv").write_text("commit,commit_date\n", "utf-8")
    with pytest.raises(CommandError) as error:
        call_command("fetch-demo", "--mirror", base, stdout=io.StringIO(), stderr=io.StringIO())
    message = str(error.value)
    assert "bnlc.csv : somme de contrôle inattendue" in message
    assert "history_feature_counts.csv : somme de contrôle inattendue" in message
    assert "CGET_TiersLieux_2019.csv : téléchargement impossible" in message
    assert "404" in message
    assert "Vérifiez l'accès au réseau" in message
    assert list((no_demo_data / "demo").iterdir()) == []  # nothing wrong nor partial kept


def test_fetch_from_an_unreachable_server_fails_in_french_without_traceback(tmp_path):
    env = {
        **os.environ,
        "MAILLAGE_DATA_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    mirror = f"http://127.0.0.1:{_closed_port()}"
    done = subprocess.run(
        [sys.executable, "-m", "maillage.cli", "fetch-demo", "--mirror", mirror, "--timeout", "5"],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    err = done.stderr.decode()
    assert done.returncode == 1
    assert done.stdout == b""
    assert "Traceback" not in err
    assert f"bnlc.csv : téléchargement impossible depuis {mirror}/bnlc.csv" in err
    assert "serveur injoignable" in err
    assert not list((tmp_path / "var" / "demo").iterdir())


@pytest.mark.django_db
def test_a_mirror_must_be_an_http_address(no_demo_data):
    with pytest.raises(CommandError, match="Adresse de miroir invalide"):
        call_command("fetch-demo", "--mirror", "ftp://exemple.test/", stdout=io.StringIO())


@pytest.mark.real_data
def test_fetch_the_real_files_from_a_mirror_then_load_demo_finds_them(
    http_server, no_demo_data, raw_data
):
    root, base, asked = http_server
    for file in demo.DEMO_FILES:
        shutil.copy(raw_data / file.raw_path, root / file.name)
    out = io.StringIO()
    call_command("fetch-demo", "--mirror", base, stdout=out, stderr=io.StringIO())
    summary = json.loads(out.getvalue())
    assert summary["folder"] == str(no_demo_data / "demo")
    assert [f["status"] for f in summary["files"]] == ["downloaded"] * len(demo.DEMO_FILES)
    for file in demo.DEMO_FILES:
        assert demo.find_demo_file(file) == no_demo_data / "demo" / file.name
    assert sorted(asked) == sorted(f"/{f.name}" for f in demo.DEMO_FILES)


def test_the_publishers_addresses_are_fixed_commits():
    """A checksum only holds for a fixed file: every address names a commit."""
    for file in demo.DEMO_FILES:
        if file.url:
            assert file.url.startswith("https://")
            assert any(len(part) == 40 for part in file.url.split("/")), file.url


# The home page of an empty inventory --------------------------------------------------------


@pytest.mark.django_db
def test_the_home_page_says_how_to_load_data_only_while_the_inventory_is_empty(
    client, referential, settings
):
    call_command("compile-translations", stderr=io.StringIO())  # the English below
    from django.utils.translation import trans_real

    trans_real._translations = {}  # type: ignore[attr-defined]
    trans_real._default = None  # type: ignore[attr-defined]
    html = client.get("/").content.decode()
    assert "Aucune initiative n'est encore chargée" in html
    assert "<code>maillage fetch-demo</code> puis <code>maillage load-demo</code>" in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/").content.decode()
    assert "No initiative is loaded yet: run <code>maillage fetch-demo</code>" in english
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    create_initiative(name="Aire d'essai", category="covoiturage", lon=-1.6778, lat=48.1173)
    html = client.get("/").content.decode()
    assert "Trouver un territoire" in html
    assert "encore chargée" not in html
    assert 'id="inventaire-vide"' not in html
