from pathlib import Path

from .layering import FLOORS, PACKAGE_DIR, app_imports, violations


def _describe(found) -> str:
    return f"{found.path.relative_to(PACKAGE_DIR)}:{found.line} {found.importer} → {found.imported}"


def test_every_app_has_a_floor():
    apps = {p.parent.name for p in PACKAGE_DIR.glob("*/apps.py")}
    assert apps <= set(FLOORS), f"apps sans étage : {sorted(apps - set(FLOORS))}"


def test_apps_import_only_lower_floors():
    wrong = [_describe(found) for found in violations()]
    assert not wrong, "imports vers un étage égal ou supérieur :\n" + "\n".join(wrong)


def test_the_check_sees_upward_and_relative_imports(tmp_path: Path):
    """The checker itself: an upward absolute import, an upward relative one and a sideways
    one between floor-8 apps are caught; a downward one is not."""
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "services.py").write_text(
        "from maillage.indicators.services import x\nfrom ..portal import views\n"
    )
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "views.py").write_text(
        "import maillage.portal.presenters\nfrom maillage.territories import selectors\n"
    )
    (tmp_path / "api" / "tests").mkdir()
    (tmp_path / "api" / "tests" / "test_x.py").write_text("from maillage.diagnostic import y\n")
    found = {(f.importer, f.imported) for f in violations(tmp_path)}
    assert found == {("catalog", "indicators"), ("catalog", "portal"), ("api", "portal")}
    assert ("api", "territories") in {(f.importer, f.imported) for f in app_imports(tmp_path)}
