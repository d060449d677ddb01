"""The README documents every `maillage` command and every environment setting."""

import re
from pathlib import Path

from django.conf import settings
from django.core.management import get_commands

README = (Path(settings.PROJECT_DIR) / "README.md").read_text("utf-8")


def test_every_maillage_command_is_documented_in_the_readme():
    ours = sorted(name for name, app in get_commands().items() if app.startswith("maillage."))
    assert "locate" in ours  # the list is real, not empty
    missing = [name for name in ours if f"maillage {name}" not in README]
    assert missing == [], f"Commandes sans documentation dans README.md : {missing}"


def test_every_environment_setting_is_documented_in_the_readme():
    source = (Path(settings.PACKAGE_DIR) / "settings.py").read_text("utf-8")
    variables = set(re.findall(r'os\.environ\.get\(\s*"([A-Z_]+)"', source))
    variables |= set(re.findall(r'_env_\w+\(\s*"([A-Z_]+)"', source))
    assert {"DATABASE_URL", "SECRET_KEY", "DEBUG"} <= variables
    missing = sorted(v for v in variables if f"`{v}`" not in README)
    assert missing == [], f"Variables d'environnement absentes du README : {missing}"


def test_readme_starts_with_the_two_commands():
    head = README[: README.index("## Configuration")]
    assert "make run" in head
    assert "make test" in head
