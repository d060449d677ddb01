"""The one set of file checks (backends/sniff.py), and both backend families wording them."""

import codecs

import pytest

from maillage.sources.backends import sniff
from maillage.sources.backends._common import read_csv
from maillage.sources.backends.tabular_detect import check_text_file
from maillage.sources.errors import SourceFileError


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", sniff.EMPTY),
        (codecs.BOM_UTF8 + b" \r\n", sniff.EMPTY),
        (b"\x1f\x8b\x08\x00", sniff.GZIP),
        (b"PK\x03\x04rest", sniff.ZIP),
        (b"\xd0\xcf\x11\xe0rest", sniff.XLS),
        (b"%PDF-1.7", sniff.PDF),
        (b"\n  <!DOCTYPE  html><html></html>", sniff.HTML),
        (codecs.BOM_UTF8 + b"<body>502</body>", sniff.HTML),
        (b'<?xml version="1.0"?><osm/>', sniff.XML),
        (b"a,b\n1,2\x00\n", sniff.BINARY),
        (b"a,b\n" + b"1,\x02\n" * 10, sniff.BINARY),  # control bytes above 1 %
        (codecs.BOM_UTF8 + "é".encode("cp1252") + b",b\n", sniff.BAD_BOM),
    ],
)
def test_what_is_not_a_text_file(tmp_path, content, problem):
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    assert sniff.sniff(path).problem == problem


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        ("nom;ville\nÉcole;Sète\n".encode(), "utf-8"),
        (codecs.BOM_UTF8 + "nom\nÉcole\n".encode(), "utf-8-sig"),
        ("nom\nÉcole\n".encode("utf-16"), "utf-16"),
        ("nom\nÉcole — œuvre\n".encode("cp1252"), "cp1252"),
        ("nom\nÉcole\n".encode("cp1252") + b"\x81", "latin-1"),
    ],
)
def test_encoding_of_a_text_file(tmp_path, content, encoding):
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    assert sniff.sniff(path)[:4] == (None, encoding, content[: sniff.HEAD_BYTES], 0)


def test_binary_bytes_past_the_head_are_found_with_their_offset(tmp_path):
    path = tmp_path / "f.csv"
    text = b"a,b\n" + b"x" * (2 * sniff.HEAD_BYTES)
    path.write_bytes(text + b"\x00\x00")
    found = sniff.sniff(path)
    assert (found.problem, found.offset) == (sniff.BINARY, len(text))


def test_both_families_refuse_the_same_files_in_their_own_words(tmp_path):
    pdf = tmp_path / "lieux.csv"
    pdf.write_bytes(b"%PDF-1.7\n" + b"x" * 100)
    with pytest.raises(SourceFileError, match="est binaire, pas un fichier texte"):
        list(read_csv(pdf, ["id"], "BNLC"))
    with pytest.raises(SourceFileError, match="document PDF"):
        check_text_file(pdf)
    gzip = tmp_path / "lieux.csv.gz"
    gzip.write_bytes(b"\x1f\x8b\x08\x00" + b"x" * 100)
    with pytest.raises(SourceFileError, match="compressé"):
        list(read_csv(gzip, ["id"], "BNLC"))
    with pytest.raises(SourceFileError, match="binaire"):
        check_text_file(gzip)


def test_a_schema_csv_in_utf16_is_read(tmp_path):
    path = tmp_path / "lieux.csv"
    path.write_bytes("id,nom\n1,Aire de Sète\n".encode("utf-16"))
    assert list(read_csv(path, ["id"], "BNLC")) == [{"id": "1", "nom": "Aire de Sète"}]
