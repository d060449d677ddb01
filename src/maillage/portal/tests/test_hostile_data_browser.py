"""Hostile data in Debian's Chromium: initiatives named like HTML and with `javascript:`
websites go through the real import (the command and the staff pages), then every page that
shows initiatives is visited — map points hovered so their tooltips open — and the test fails
on any dialog, any page error and any Content-Security-Policy violation."""

import csv
import io
import json
from urllib.parse import quote

import pytest
from django.core.management import call_command

from maillage.portal.tests.test_browser import ARTIFACTS, CHROMIUM, page  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium absent"),
]

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = '"><script>alert(2)</script>'
SVG = "<svg onload=alert(3)>"
HOSTILE_NAMES = (IMG, SCRIPT, SVG, IMG + " bis")
# Rennes (INSEE 35238): points inside the commune, close enough for the duplicate search to
# pair the two « <img …> » rows.
ROWS = [
    ("h1", IMG, "48.1110", "-1.6800", "javascript:alert(4)"),
    ("h2", SCRIPT, "48.1170", "-1.6900", "data:text/html,<script>alert(5)</script>"),
    ("h3", SVG, "48.1050", "-1.6650", "vbscript:msgbox(6)"),
    ("h4", IMG + " bis", "48.1114", "-1.6805", "JaVaScRiPt:alert(7)"),
]
RENNES, METROPOLE, DEPARTEMENT = "com:35238", "epci:243500139", "dep:35"

# Leaflet's maps are not globals: this hook, run before the page's scripts, keeps each map so
# the test can find where a point is drawn (the canvas has no element per point).
KEEP_MAPS = """
Object.defineProperty(window, "L", {
  configurable: true,
  get() { return window.__leaflet; },
  set(value) {
    window.__leaflet = value;
    window.__maps = [];
    value.Map.addInitHook(function () { window.__maps.push(this); });
  },
});
"""
# Centre the map on a point, close enough that no other point is under the pointer, and
# say where it is drawn.
SHOW_POINT = """
(name) => {
  for (const map of window.__maps || []) {
    let found = null;
    map.eachLayer((layer) => {
      const props = layer.feature && layer.feature.properties;
      if (layer.getLatLng && props && props.name === name) { found = layer; }
    });
    if (found) {
      map.setView(found.getLatLng(), 18, { animate: false });
      const p = map.latLngToContainerPoint(found.getLatLng());
      return { x: p.x, y: p.y };
    }
  }
  return null;
}
"""


def _csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["identifiant", "nom", "latitude", "longitude", "site web", "description"])
    for remote_id, name, lat, lon, website in ROWS:
        writer.writerow([remote_id, name, lat, lon, website, SCRIPT])
    return out.getvalue()


class Watch:
    """Everything a page must not do: open a dialog, throw, break the CSP."""

    def __init__(self, page) -> None:  # noqa: F811
        self.problems: list[str] = []
        self.url = ""
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.problems.append(f"{self.url} : erreur {error}"))
        page.on("console", self._console)

    def _dialog(self, dialog) -> None:
        self.problems.append(f"{self.url} : boîte de dialogue « {dialog.message} »")
        dialog.dismiss()

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.problems.append(f"{self.url} : CSP {text}")


@pytest.fixture
def hostile(referential, settings, tmp_path):
    """The payloads imported by `maillage import`, figures computed, duplicates searched."""
    from maillage.dedupe.models import DuplicatePair
    from maillage.indicators.services import recompute

    settings.DATA_DIR = tmp_path  # uploads of the staff import page
    path = tmp_path / "hostile.csv"
    path.write_text(_csv(), encoding="utf-8")
    out = io.StringIO()
    call_command(
        "import", "csv", str(path), "--source", "hostile", "--category", "repair-cafe",
        "--licence", "<img src=x onerror=alert(8)>", stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    summary = json.loads(out.getvalue())
    assert summary["outcomes"]["new"] == 4
    assert summary["reasons"]["site web écarté"] == 4
    # Nothing merged automatically: the pair waits in the review queue.
    call_command("dedupe", "--auto", "0.999", stdout=io.StringIO(), stderr=io.StringIO())
    recompute()
    return {"job": summary["job"], "csv": path, "pairs": list(DuplicatePair.objects.all())}


def _log_in(page, base: str, django_user_model) -> None:  # noqa: F811
    django_user_model.objects.create_superuser("equipe", "equipe@example.org", "mot-de-passe-long")
    page.goto(f"{base}/admin/login/?next=/imports/")
    page.get_by_label("Nom d’utilisateur").fill("equipe")
    page.get_by_label("Mot de passe").fill("mot-de-passe-long")
    with page.expect_navigation():
        page.get_by_role("button", name="Connexion").click()
    assert page.url.endswith("/imports/")


def _visit(page, watch: Watch, url: str) -> None:  # noqa: F811
    watch.url = url
    response = page.goto(url)
    assert response is not None, url
    assert response.status < 400, url
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    # No payload became an element anywhere: it is text wherever it shows.
    assert page.locator("img[src='x'], svg[onload], script:not([src]):not([type])").count() == 0


def _hover_points(page) -> set[str]:  # noqa: F811
    """Hover each hostile point of the map; the names read in their tooltips."""
    page.wait_for_selector("#carte[data-loaded='true']")
    box = page.locator("#carte").bounding_box()
    assert box is not None
    seen = set()
    for name in HOSTILE_NAMES:
        point = page.evaluate(SHOW_POINT, name)
        assert point is not None, name
        x, y = box["x"] + point["x"], box["y"] + point["y"]
        page.mouse.move(x + 40, y + 40)
        page.mouse.move(x, y)
        tooltip = page.locator(".leaflet-tooltip")
        tooltip.wait_for(state="visible")
        seen.add(tooltip.inner_text())
        assert tooltip.locator("*").count() <= 1  # the text's own span, nothing parsed
        page.mouse.move(0, 0)  # off the map: the tooltip closes before the next point
        tooltip.wait_for(state="detached")
    return seen


@pytest.mark.django_db(transaction=True)
def test_hostile_names_and_websites_never_run(hostile, live_server, page, django_user_model):  # noqa: F811
    from maillage.catalog.models import Initiative

    base = live_server.url
    page.context.add_init_script(KEEP_MAPS)
    watch = Watch(page)
    stored = list(Initiative.objects.values_list("name", "website"))
    assert sorted(name for name, _site in stored) == sorted(HOSTILE_NAMES)
    assert {site for _name, site in stored} == {""}  # no javascript:, data:, vbscript: kept

    # Public pages: the portraits' maps (points hovered), territory pages, comparison, search.
    for territory in (RENNES, METROPOLE, DEPARTEMENT):
        _visit(page, watch, f"{base}/territoires/{territory}/portrait/")
        assert _hover_points(page) == set(HOSTILE_NAMES), territory
        _visit(page, watch, f"{base}/territoires/{territory}/")
    _visit(page, watch, f"{base}/territoires/comparer/?t={RENNES},{METROPOLE},{DEPARTEMENT}")
    _visit(page, watch, f"{base}/territoires/")
    # Live results (htmx) under the policy.
    page.get_by_label("Rechercher un territoire").press_sequentially("rennes", delay=30)
    page.locator("#resultats ol.results > li > a", has_text="Rennes").first.wait_for()
    _visit(page, watch, f"{base}/sources/")
    assert "<img src=x onerror=alert(8)>" in page.locator("main").inner_text()
    _visit(page, watch, f"{base}/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .opblock")

    # Staff pages: import pages (a web dry run of the same file too), duplicates, admin.
    _log_in(page, base, django_user_model)
    _visit(page, watch, f"{base}/imports/nouvel-import/")
    # Sent empty: the error summary gets the focus (a static script, allowed by the policy).
    with page.expect_navigation():
        page.get_by_role("button", name="Lancer l'essai à blanc").click()
    assert page.evaluate("document.activeElement.id") == "erreurs"
    page.get_by_label("Format du fichier").select_option("csv")
    page.get_by_label("Nom court de la source").fill("hostile-web")
    page.get_by_label("Intitulé de la source").fill(SCRIPT)
    page.get_by_label("Attribution").fill(SVG)
    page.get_by_label("Licence des données").fill(SCRIPT)
    page.get_by_label("Fichier à importer").set_input_files(str(hostile["csv"]))
    with page.expect_navigation():
        page.get_by_role("button", name="Lancer l'essai à blanc").click()
    from maillage.sources.background import execute_job
    from maillage.sources.models import HarvestJob

    dry_run = HarvestJob.objects.get(source__name="hostile-web")
    execute_job(dry_run.pk)
    for job in (hostile["job"], dry_run.pk):
        _visit(page, watch, f"{base}/imports/{job}/")
        _visit(page, watch, f"{base}/imports/{job}/?resultat=new#lignes")
    _visit(page, watch, f"{base}/imports/")
    _visit(page, watch, f"{base}/sources/")  # the dry run's attribution is not public
    assert SVG not in page.locator("main").inner_text()
    _visit(page, watch, f"{base}/doublons/")
    assert hostile["pairs"], "the two « <img …> » rows should make a pair"
    for pair in hostile["pairs"]:
        _visit(page, watch, f"{base}/doublons/{pair.pk}/")
    _visit(page, watch, f"{base}/doublons/fusions/")
    initiative = Initiative.objects.get(name=IMG)
    for url in (
        "/admin/catalog/initiative/",
        f"/admin/catalog/initiative/?q={quote(IMG)}",
        f"/admin/catalog/initiative/{initiative.pk}/change/",
        f"/admin/catalog/initiative/{initiative.pk}/history/",
        "/admin/sources/source/",
        "/admin/sources/harvestjob/",
        f"/admin/sources/harvestjob/{hostile['job']}/change/",
        "/admin/sources/harvestitem/",
        "/admin/sources/sourcerecord/",
        "/admin/dedupe/duplicatepair/",
    ):
        _visit(page, watch, base + url)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "hostile-admin-initiative.png"), full_page=True)
    assert watch.problems == []
