"""Column mappings saved by users: JSON files (see the README for their format)."""

import json
from pathlib import Path
from typing import Any


class MappingError(Exception):
    code = "mapping-invalid"


def load_mapping(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise MappingError(f"Fichier de correspondance introuvable : {path}")
    try:
        data = json.loads(path.read_text("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MappingError(f"{path} n'est pas un JSON valide ({exc})") from exc
    if not isinstance(data, dict):
        raise MappingError(f"{path} : la correspondance doit être un objet JSON")
    return data
