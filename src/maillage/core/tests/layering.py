"""The floors of the code base, read from the source: which app imports which.

Floors run one way (see docs/architecture.md): an app imports only apps on a lower floor
(or its own); a lower floor tells a higher one that something changed through a signal.
Tests are exempt: they check the assembled product.
"""

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

PACKAGE = "maillage"
PACKAGE_DIR = Path(__file__).resolve().parents[2]

FLOORS: dict[str, int] = {
    "core": 0,
    "territories": 1,
    "catalog": 2,
    "sources": 3,
    "dedupe": 4,
    "registers": 4,
    "indicators": 5,
    "impacts": 6,
    "diagnostic": 7,
    "portal": 8,
    "api": 8,
}


class Import(NamedTuple):
    path: Path
    line: int
    importer: str  # app doing the import
    imported: str  # app it reaches


def _module_name(path: Path, package_dir: Path) -> list[str]:
    return [PACKAGE, *path.relative_to(package_dir).with_suffix("").parts]


def _targets(node: ast.AST, module: list[str]) -> Iterator[str]:
    """Absolute dotted names an import statement reaches (relative ones resolved)."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        if node.level:
            base = module[: len(module) - node.level]
            yield ".".join([*base, node.module] if node.module else base)
        elif node.module:
            yield node.module


def app_imports(package_dir: Path = PACKAGE_DIR) -> Iterator[Import]:
    """Every import from one of Maillage's apps into another one, tests and migrations left
    out. Modules at the package's root (settings, urls, cli) wire the apps together."""
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir).parts
        if len(parts) < 2 or "tests" in parts or "migrations" in parts:
            continue
        module = _module_name(path, package_dir)
        if path.name == "__init__.py":
            module = module[:-1]
            module.append("__init__")
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for node in ast.walk(tree):
            for target in _targets(node, module):
                names = target.split(".")
                if len(names) >= 2 and names[0] == PACKAGE and names[1] != parts[0]:
                    yield Import(path, getattr(node, "lineno", 0), parts[0], names[1])


def violations(package_dir: Path = PACKAGE_DIR) -> list[Import]:
    """Imports that reach an app on the same or a higher floor (or an app with no floor)."""
    wrong = []
    for found in app_imports(package_dir):
        low, high = FLOORS.get(found.imported), FLOORS.get(found.importer)
        if low is None or high is None or low >= high:
            wrong.append(found)
    return wrong
