"""Mapping files saved by users, in JSON (.json) or YAML (.yaml, .yml). Each backend checks the
content it understands (see the README for the formats)."""

import json
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext as _

from maillage.core.errors import MaillageError


class MappingError(MaillageError):
    """The mapping file cannot be read; stable code `mapping-invalid`, message in French."""

    code = "mapping-invalid"


def load_mapping(path: Path | str) -> dict[str, Any]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise MappingError(
            _("fichier de correspondance introuvable : %(path)s") % {"path": path}
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(
            _("fichier %(file)s illisible (%(error)s)") % {"file": path.name, "error": exc}
        ) from exc
    data: object
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise MappingError(
                _("%(file)s n'est pas du YAML valide (%(error)s)")
                % {"file": path.name, "error": exc}
            ) from exc
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MappingError(
                _("%(file)s n'est pas du JSON valide (ligne %(line)s, colonne %(column)s)")
                % {"file": path.name, "line": exc.lineno, "column": exc.colno}
            ) from exc
    if not isinstance(data, dict):
        raise MappingError(
            _("%(file)s doit contenir un objet (clé → valeur)") % {"file": path.name}
        )
    return data
