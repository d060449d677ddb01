"""Staff import pages, on the real carpooling base: upload, dry run, report, confirmation,
downloads, JSON twin, and the background process that runs the jobs."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import StopUpload
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from maillage.catalog.models import Initiative
from maillage.indicators.selectors import portrait as indicator_portrait
from maillage.indicators.tasks import refresh_figures
from maillage.portal.tests.a11y import accessibility_problems
from maillage.sources.background import execute_job
from maillage.sources.models import HarvestJob, Source
from maillage.sources.tasks import run_harvest_job
from maillage.sources.uploads import SizeLimitedUploadHandler, refused_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def bnlc(raw_data: Path) -> Path:
    return raw_data / "bnlc-covoiturage" / "bnlc.csv"


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path: Path) -> Path:
    """Uploads, logs and progress files go to a temporary folder."""
    settings.DATA_DIR = tmp_path / "var"
    return settings.DATA_DIR


@pytest.fixture(autouse=True)
def french(settings) -> None:
    settings.LANGUAGE_CODE = "fr"


def _upload(path: Path, name: str = "") -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="text/csv")


def _form(**fields: object) -> dict[str, object]:
    return {
        "backend": "bnlc",
        "source": "bnlc-test",
        "licence": "ODbL 1.0",
        "attribution": "Base nationale des lieux de covoiturage, transport.data.gouv.fr",
        "category": "",
        "mapping_text": "",
        **fields,
    }


def _csv(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(
    "url",
    ["/imports/", "/imports/nouvel-import/", "/imports/1/", "/imports/1/lignes-rejetees.csv"],
)
def test_anonymous_and_non_staff_users_are_sent_to_the_login_page(client, django_user_model, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")
    user = django_user_model.objects.create_user("dominique", password="pw")
    client.force_login(user)
    assert client.get(url).status_code == 302
    assert client.post("/imports/1/confirmer/").status_code == 302
    assert HarvestJob.objects.count() == 0


@pytest.mark.real_data
def test_the_form_explains_each_error_and_links_to_the_field(admin_client, bnlc):
    url = reverse("imports:new")
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url, _form(category="pas-une-categorie", mapping_text="{'nom': 'name'")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Le formulaire contient des erreurs" in html
    assert 'href="#id_file"' in html
    assert "Choisissez le fichier à importer." in html
    assert "Catégorie inconnue : « pas-une-categorie »" in html
    assert "La correspondance n&#x27;est pas du JSON valide (ligne 1, colonne 2" in html
    assert 'aria-invalid="true"' in html
    assert accessibility_problems(html) == []
    response = admin_client.post(url, _form(mapping_text="[1, 2]", file=_upload(bnlc)))
    assert "La correspondance doit contenir un objet (clé → valeur)" in response.content.decode()
    assert HarvestJob.objects.count() == 0
    assert not (Path(django_settings.DATA_DIR) / "uploads").exists()


@pytest.mark.real_data
def test_a_file_over_the_size_limit_is_refused_clearly(admin_client, bnlc, settings):
    settings.MAILLAGE_IMPORT_MAX_UPLOAD_BYTES = 1000
    response = admin_client.post(reverse("imports:new"), _form(file=_upload(bnlc)))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Le fichier fait au moins" in html  # refused while it arrived
    assert "c&#x27;est plus que la taille maximale acceptée (1000" in html
    assert HarvestJob.objects.count() == 0
    assert not (Path(django_settings.DATA_DIR) / "uploads").exists()
    # The fields sent before the file were kept, and only the file is in error.
    assert 'value="bnlc-test"' in html
    assert html.count('aria-invalid="true"') == 1


def test_the_upload_handler_stops_storing_at_the_limit(settings):
    settings.MAILLAGE_IMPORT_MAX_UPLOAD_BYTES = 100_000
    request = RequestFactory().post("/")
    handler = SizeLimitedUploadHandler(request)
    handler.handle_raw_input(None, {}, 150_000, b"x")
    handler.new_file("file", "gros.csv", "text/csv", 150_000)
    assert handler.receive_data_chunk(b"a" * 65_536, 0) == b"a" * 65_536
    with pytest.raises(StopUpload):
        handler.receive_data_chunk(b"a" * 65_536, 65_536)
    assert refused_upload(request) == 131_072
    # A request that announces far more than the limit is refused before its first byte.
    early = RequestFactory().post("/")
    handler = SizeLimitedUploadHandler(early)
    handler.handle_raw_input(None, {}, 50_000_000, b"x")
    with pytest.raises(StopUpload):
        handler.new_file("file", "enorme.csv", "text/csv", None)
    assert refused_upload(early) is not None


@pytest.mark.real_data
def test_a_source_keeps_its_format(admin_client, bnlc):
    Source.objects.create(name="bnlc-test", backend="tiers-lieux")
    response = admin_client.post(reverse("imports:new"), _form(file=_upload(bnlc)))
    assert response.status_code == 400
    assert "La source « bnlc-test » est au format « Tiers-lieux" in response.content.decode()


@pytest.mark.real_data
def test_upload_creates_a_pending_dry_run_started_after_commit(
    admin_client, bnlc, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            reverse("imports:new"), _form(file=_upload(bnlc, "../../base covoit'.csv"))
        )
    job = HarvestJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/{job.pk}/"
    assert len(callbacks) == 1  # the job is queued for the worker once committed
    callbacks[0]()
    queued = DBTaskResult.objects.get(task_path=run_harvest_job.module_path)
    assert (queued.status, queued.args_kwargs["args"]) == ("READY", [job.pk])
    assert job.status == HarvestJob.Status.PENDING
    assert job.dry_run
    assert job.started_by is not None
    path = Path(job.file_name)
    assert path.parent.parent == Path(django_settings.DATA_DIR) / "uploads"
    assert path.name == "base_covoit.csv"
    assert path.read_bytes() == bnlc.read_bytes()
    source = job.source
    assert (source.name, source.backend) == ("bnlc-test", "bnlc")
    # Public on /sources/: kept with the dry run until it is confirmed.
    assert source.licence == ""
    assert job.source_settings["licence"] == "ODbL 1.0"
    html = admin_client.get(response["Location"]).content.decode()
    assert "en attente" in html
    assert 'hx-trigger="every 1s"' in html
    assert 'aria-live="polite"' in html
    assert f'href="/imports/{job.pk}/">Rafraîchir la page</a>' in html
    assert accessibility_problems(html) == []


@pytest.mark.real_data
def test_dry_run_report_confirmation_and_downloads(
    admin_client, bnlc, django_capture_on_commit_callbacks
):
    admin_client.post(reverse("imports:new"), _form(file=_upload(bnlc)))
    dry = HarvestJob.objects.get()
    execute_job(dry.pk)  # what `maillage run-job` does in the background process
    dry.refresh_from_db()
    assert dry.status == HarvestJob.Status.DONE_WITH_ERRORS
    assert Initiative.objects.count() == 0  # a dry run writes no initiative
    assert dry.rows == 2473
    assert dry.progress_at is not None  # saved batch by batch

    page = admin_client.get(f"/imports/{dry.pk}/")
    html = page.content.decode()
    assert accessibility_problems(html) == []
    assert "hx-trigger" not in html  # finished: no more polling
    assert "Terminé avec des lignes rejetées" in html or "terminé avec des lignes rejetées" in html
    assert "2472" in html  # new rows
    assert "code postal au lieu du code INSEE" in html
    assert "Covoiturage" in html or "covoiturage" in html
    assert f'action="/imports/{dry.pk}/confirmer/"' in html
    assert "Confirmer l'import</button>" in html
    assert "→" in html  # the preview's « avant → après »
    assert "<caption>Lignes 1 à 50 sur 2473</caption>" in html

    rejected_page = admin_client.get(f"/imports/{dry.pk}/", {"resultat": "rejected"})
    assert "hors de France" in rejected_page.content.decode()
    assert "Lignes 1 à 1 sur 1" in rejected_page.content.decode()

    twin = admin_client.get(f"/imports/{dry.pk}/", {"format": "json"}).json()
    for key in ("job", "outcomes", "categories", "reasons"):
        assert key in twin
    assert twin["outcomes"]["new"] == 2472
    assert twin["outcomes"]["rejected"] == 1
    assert twin["finished"] is True
    assert twin["progress"]["rows"] == 2473

    rejected = _csv(admin_client.get(f"/imports/{dry.pk}/lignes-rejetees.csv"))
    header = bnlc.read_text("utf-8").splitlines()[0].split(",")
    assert len(rejected) == 1
    assert list(rejected[0]) == [*header, "motif"]
    assert rejected[0]["motif"].startswith("hors de France")
    with bnlc.open(encoding="utf-8", newline="") as handle:
        original = next(r for r in csv.DictReader(handle) if r["id_lieu"] == rejected[0]["id_lieu"])
    assert {k: rejected[0][k] for k in header} == original  # as received, ready to fix

    report = _csv(admin_client.get(f"/imports/{dry.pk}/rapport.csv"))
    assert len(report) == 2473
    assert {"remote_id", "outcome", "reasons", "commune_id", "category", "initiative_id"} <= set(
        report[0]
    )
    mapping = admin_client.get(f"/imports/{dry.pk}/correspondance.json")
    assert mapping["Content-Type"].startswith("application/json")
    json.loads(mapping.content)

    confirmed = admin_client.post(f"/imports/{dry.pk}/confirmer/")
    real = HarvestJob.objects.exclude(pk=dry.pk).get()
    assert confirmed["Location"] == f"/imports/{real.pk}/"
    assert not real.dry_run
    assert real.file_name == dry.file_name
    assert real.status == HarvestJob.Status.PENDING
    with django_capture_on_commit_callbacks(execute=True) as changed:
        execute_job(real.pk)
    real.refresh_from_db()
    assert real.outcomes["new"] == 2472
    # The import queued a refresh of the figures; the page meanwhile says they are out of date.
    assert len(changed) == 1
    assert DBTaskResult.objects.filter(task_path=refresh_figures.module_path).count() == 1
    refresh_figures.call()  # what the worker runs
    figures = indicator_portrait("dep:64")
    assert figures["stale"] is False
    assert figures["categories"]["covoiturage"]["count"] > 0
    assert Initiative.objects.filter(source_records__source__name="bnlc-test").count() == 2472
    html = admin_client.get(f"/imports/{dry.pk}/").content.decode()
    assert f'href="/imports/{real.pk}/"' in html  # the dry run links to its confirmation
    again = admin_client.post(f"/imports/{dry.pk}/confirmer/", follow=True)
    assert "Un import plus récent de cette source existe" in again.content.decode()
    assert HarvestJob.objects.count() == 2

    index = admin_client.get("/imports/").content.decode()
    assert "bnlc-test" in index
    assert "ODbL 1.0" in index
    assert accessibility_problems(index) == []


def test_progress_is_read_from_the_job_while_running(admin_client):
    source = Source.objects.create(name="bnlc-test", backend="bnlc")
    job = HarvestJob.objects.create(
        source=source, status="running", dry_run=True, rows=4000, progress_at=timezone.now()
    )
    twin = admin_client.get(f"/imports/{job.pk}/", {"format": "json"}).json()
    assert twin["progress"]["rows"] == 4000
    assert twin["finished"] is False
    partial = admin_client.get(f"/imports/{job.pk}/?partial=status", HTTP_HX_REQUEST="true")
    assert "4000 lignes traitées" in partial.content.decode()
    job.status = HarvestJob.Status.DONE
    job.save()
    done = admin_client.get(f"/imports/{job.pk}/?partial=status", HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"  # finished: the page reloads once with the report


def test_run_job_refuses_unknown_or_already_started_jobs_and_fails_bad_files(tmp_path):
    with pytest.raises(CommandError, match="introuvable") as unknown:
        call_command("run-job", "999999")
    assert unknown.value.returncode == 2
    source = Source.objects.create(name="bnlc-test", backend="bnlc")
    page = tmp_path / "bnlc.csv"
    page.write_text("<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "utf-8")
    job = HarvestJob.objects.create(source=source, dry_run=True, file_name=str(page))
    with pytest.raises(CommandError):
        call_command("run-job", str(job.pk))
    job.refresh_from_db()
    assert job.status == HarvestJob.Status.FAILED
    assert job.error
    with pytest.raises(CommandError, match="n'est plus en attente"):
        call_command("run-job", str(job.pk))
    missing = HarvestJob.objects.create(source=source, file_name=str(tmp_path / "absent.csv"))
    with pytest.raises(CommandError, match="introuvable"):
        call_command("run-job", str(missing.pk))
    missing.refresh_from_db()
    assert missing.status == HarvestJob.Status.FAILED  # never left pending


def test_pages_are_translated_into_english(admin_client, settings):
    call_command("compile-translations")
    from django.utils.translation import trans_real

    trans_real._translations = {}  # type: ignore[attr-defined]
    trans_real._default = None  # type: ignore[attr-defined]
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = admin_client.get("/imports/").content.decode()
    assert "New import" in html
    assert "Recent imports" in html
    form = admin_client.post(reverse("imports:new"), _form()).content.decode()
    assert "The form has errors" in form
    assert "Choose the file to import." in form


@pytest.mark.django_db
def test_staff_see_the_imports_link_in_the_menu_and_others_do_not(client, admin_client):
    assert 'href="/imports/"' in admin_client.get("/").content.decode()
    assert 'href="/imports/"' not in client.get("/").content.decode()
