"""Fuzzing of the readers and of the mapping loader (hypothesis, short enough for CI): whatever
the bytes, reading a file and parsing its rows raises nothing but the project's MaillageError
subclasses (a file error, a rejected row, a refused mapping)."""

import contextlib
import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillage.core.errors import MaillageError
from maillage.sources.backends import BackendOptions, get_backend
from maillage.sources.backends.tabular_mapping import check_mapping
from maillage.sources.mappings import MappingError, load_mapping

from .xlsxfiles import inline, row, write_workbook

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI never turns red by chance
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Cells made of what breaks readers: quotes, delimiters, every line end, NUL, accents.
_CELL = st.text(
    alphabet=st.sampled_from(list("a1 ,;\t|\"'\r\n\x00\x0céÉ€\ufeff\u2028-.:[]{}=<>&")),
    max_size=30,
)
_ROWS = st.lists(st.lists(_CELL, min_size=1, max_size=6), min_size=1, max_size=8)
_SEPARATORS = st.sampled_from([",", ";", "\t", "|"])
_LINE_ENDS = st.sampled_from(["\n", "\r\n", "\r"])
_ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"])
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _CELL,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_CELL, inner, max_size=4),
    max_leaves=20,
)


def _read_all(backend_name: str, content: bytes, suffix: str, mapping: Any = None) -> None:
    """Read and parse every row; only MaillageError may come out."""
    options = BackendOptions(mapping=mapping if isinstance(mapping, dict) else {})
    backend = get_backend(backend_name, options)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fichier{suffix}"
        path.write_bytes(content)
        try:
            for raw_row in backend.rows(path):
                with contextlib.suppress(MaillageError):
                    backend.parse(raw_row)
            _ = backend.effective_mapping
        except MaillageError:
            pass


def _table(rows: list[list[str]], separator: str, line_end: str) -> str:
    header = separator.join(["nom", "adresse", "lat", "lon", "categorie"])
    return line_end.join([header, *(separator.join(cells) for cells in rows), ""])


@pytest.mark.django_db
@FUZZ
@given(rows=_ROWS, separator=_SEPARATORS, line_end=_LINE_ENDS, encoding=_ENCODINGS)
def test_csv_reader_on_tables_of_hostile_cells(rows, separator, line_end, encoding):
    text = _table(rows, separator, line_end)
    _read_all("csv", text.encode(encoding, errors="replace"), ".csv")


@pytest.mark.django_db
@FUZZ
@given(content=st.binary(max_size=3000))
def test_csv_reader_on_any_bytes(content):
    _read_all("csv", content, ".csv")


@pytest.mark.django_db
@FUZZ
@given(rows=_ROWS, mapping=_JSON)
def test_csv_reader_with_any_mapping_dict(rows, mapping):
    _read_all("csv", _table(rows, ",", "\n").encode(), ".csv", mapping)


_GEOMETRY = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["Point", "Polygon", "LineString", "Nope"]), "coordinates": _JSON}
    ),
    _JSON,
)
_FEATURE = st.fixed_dictionaries(
    {
        "type": st.just("Feature"),
        "geometry": _GEOMETRY,
        "properties": _JSON
        | st.dictionaries(
            st.sampled_from(["nom", "name", "id", "adresse", "type", "code_insee", "site"]), _JSON
        ),
    }
)


@pytest.mark.django_db
@FUZZ
@given(features=st.lists(_FEATURE | _JSON, max_size=5), extra=_JSON)
def test_geojson_reader_on_hostile_features(features, extra):
    document = {"type": "FeatureCollection", "features": features, "extra": extra}
    _read_all("geojson", json.dumps(document).encode(), ".geojson")


@pytest.mark.django_db
@FUZZ
@given(content=st.binary(max_size=2000) | _JSON.map(lambda v: json.dumps(v).encode()))
def test_json_readers_on_any_document(content):
    for backend in ("geojson", "gogocarto", "osm"):
        _read_all(backend, content, ".json")


def _xlsx_bytes(rows_xml: list[str]) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return write_workbook(Path(folder) / "c.xlsx", rows_xml).read_bytes()


_XLSX_CELL = st.one_of(
    _CELL.map(inline),
    st.builds(lambda v: f"<c><v>{v}</v></c>", st.sampled_from(["1", "-2.5", "1e400", "x", ""])),
    st.builds(
        lambda t, v: f'<c t="{t}"><v>{v}</v></c>',
        st.sampled_from(["s", "b", "d", "e", "str", "n"]),
        st.sampled_from(["0", "7", "2024-13-45", "abc", "99999999999"]),
    ),
    st.builds(
        lambda ref: f'<c r="{ref}" t="inlineStr"><is><t>x</t></is></c>',
        st.sampled_from(["A1", "ZZZZ9", "XFD3", "B0", "1A", ""]),
    ),
)


@pytest.mark.django_db
@FUZZ
@given(
    rows=st.lists(
        st.tuples(st.lists(_XLSX_CELL, max_size=5), st.none() | st.integers(-3, 2_000_000)),
        max_size=6,
    )
)
def test_xlsx_reader_on_hostile_sheets(rows):
    header = row([inline("nom"), inline("adresse"), inline("lat"), inline("lon")])
    content = _xlsx_bytes([header, *(row(cells, number) for cells, number in rows)])
    _read_all("xlsx", content, ".xlsx")


@pytest.mark.django_db
@FUZZ
@given(position=st.integers(0, 10_000), patch=st.binary(min_size=1, max_size=8))
def test_xlsx_reader_on_damaged_archives(position, patch):
    content = bytearray(_xlsx_bytes([row([inline("nom")]), row([inline("A")])]))
    position %= len(content)
    content[position : position + len(patch)] = patch
    _read_all("xlsx", bytes(content), ".xlsx")


@pytest.mark.django_db
@FUZZ
@given(member=st.sampled_from(["xl/workbook.xml", "xl/sharedStrings.xml", "[Content_Types].xml",
                               "xl/worksheets/sheet1.xml"]),
       text=st.text(max_size=200))  # fmt: skip
def test_xlsx_reader_on_garbled_parts(member, text):
    source = io.BytesIO(_xlsx_bytes([row([inline("nom")]), row([inline("A")])]))
    out = io.BytesIO()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            data = text.encode() if info.filename == member else old.read(info)
            new.writestr(info.filename, data)
    _read_all("xlsx", out.getvalue(), ".xlsx")


@FUZZ
@given(
    text=st.text(max_size=300)
    | _JSON.map(json.dumps)
    | st.builds(lambda n: "[" * n + "]" * n, st.integers(0, 5000)),
    name=st.sampled_from(["m.json", "m.yaml", "m.yml", ""]),
)
def test_mapping_loader_answers_a_mapping_or_a_mapping_error(text, name):
    try:
        mapping = load_mapping(text=text, name=name)
    except MappingError:
        return
    assert isinstance(mapping, dict)
    json.dumps(mapping, allow_nan=False)  # storable as is


_TABLE = st.fixed_dictionaries(
    {}, optional={"column": _JSON | _CELL, "values": st.dictionaries(_CELL, _JSON),
                  "separator": _JSON, "value": _JSON},
)  # fmt: skip
_KEEP = st.fixed_dictionaries(
    {"fields": st.lists(_JSON | st.sampled_from(["contact_email", "contact_name"]), max_size=3)},
    optional={"legal_basis": _JSON},
)
_FIELDS = st.dictionaries(
    st.sampled_from(["name", "lat", "lon", "remote_id", "address", "created_on"]),
    _JSON | _CELL | st.lists(_CELL, max_size=3),
)
_TABULAR = st.fixed_dictionaries(
    {},
    optional={"fields": _FIELDS, "category": _TABLE, "status": _TABLE, "keep_personal_data": _KEEP,
              "extra": _JSON, "sheet": _JSON, "encoding": _JSON, "delimiter": _JSON,
              "header_row": _JSON, "coordinates": _JSON, "latlon_column": _JSON},
)  # fmt: skip


def test_a_personal_data_list_of_objects_is_a_mapping_error_not_a_crash():
    with pytest.raises(MaillageError, match="keep_personal_data"):
        check_mapping({"keep_personal_data": {"fields": [{}]}})


@FUZZ
@given(mapping=_TABULAR)
def test_tabular_mapping_check_on_shaped_mappings(mapping):
    with contextlib.suppress(MaillageError):
        check_mapping(mapping)


@pytest.mark.django_db
@FUZZ
@given(rows=_ROWS, mapping=_TABULAR)
def test_csv_reader_with_shaped_mappings(rows, mapping):
    _read_all("csv", _table(rows, ",", "\n").encode(), ".csv", mapping)


@FUZZ
@given(mapping=st.dictionaries(
    st.sampled_from(["fields", "category", "status", "extra", "keep_personal_data", "sheet",
                     "encoding", "delimiter", "header_row", "coordinates", "latlon_column"]),
    _JSON | st.dictionaries(st.sampled_from(["name", "lat", "lon", "column", "values", "fields",
                                             "legal_basis", "separator", "value"]), _JSON),
))  # fmt: skip
def test_tabular_mapping_check_answers_in_french_or_accepts(mapping):
    with contextlib.suppress(MaillageError):
        check_mapping(mapping)
