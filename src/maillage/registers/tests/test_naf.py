"""Activity codes in every form the register writes them (no database)."""

import pytest

from maillage.registers import naf


@pytest.mark.parametrize(
    ("written", "code", "nomenclature", "fixed"),
    [
        ("95.29Z", "95.29Z", naf.NAF_REV2, False),
        ("9529Z", "95.29Z", naf.NAF_REV2, True),
        (" 95.29z ", "95.29Z", naf.NAF_REV2, False),
        ("52.7A", "52.7A", naf.NAF_OLD, False),
        ("527A", "52.7A", naf.NAF_OLD, True),
        ("80.1Z", "80.1Z", naf.NAF_OLD, False),
        ("55.40", "55.40", naf.NAP, False),
        ("5540", "55.40", naf.NAP, True),
        ("", "", naf.UNKNOWN, False),
    ],
)
def test_codes_are_normalised_with_their_nomenclature(written, code, nomenclature, fixed):
    found = naf.normalise(written)
    assert (found.code, found.nomenclature, found.fixed, found.unreadable) == (
        code, nomenclature, fixed, False,
    )  # fmt: skip


@pytest.mark.parametrize("written", ["9X.ZZ", "95-29Z", "ABCDE", "95.2", "952"])
def test_what_is_no_code_is_said_unreadable(written):
    found = naf.normalise(written)
    assert found.unreadable
    assert found.code == ""


def test_a_rule_prefix_covers_its_codes_only():
    assert naf.is_prefix_of("95.2", "95.29Z")
    assert naf.is_prefix_of("95", "95.11Z")
    assert not naf.is_prefix_of("95.2", "95.11Z")
    assert not naf.is_prefix_of("", "95.29Z")
    assert naf.clean_prefix("9529Z") == "95.29Z"
    assert naf.clean_prefix("95.2") == "95.2"
    assert naf.clean_prefix("952") == "95.2"
    assert naf.clean_prefix("nope") == ""
