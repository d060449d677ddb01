"""Fuzzing of the territory-id parser (hypothesis, short): any text is either an id of the
documented forms or an InvalidTerritoryId in French, and resolving it answers a territory or
a TerritoryNotFound, never anything else."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from maillage.territories.selectors import (
    ID_PATTERN,
    InvalidTerritoryId,
    TerritoryNotFound,
    parse_territory_id,
    resolve_territory,
)

FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
_DIGITS = st.text(alphabet="0123456789AB٣\x00 ", max_size=12)
_IDS = st.one_of(
    st.text(max_size=40),
    st.builds(
        "{}{}{}".format,
        st.sampled_from(["fr", "FR", "reg", "dep", "epci", "com", "COM", " com", "x"]),
        st.sampled_from([":", "", "::", ": ", "\n"]),
        _DIGITS,
    ),
)
_FORMS = re.compile(r"fr|reg:\d{2,3}|dep:\d[\dAB]\d?|epci:\d{9}|com:\d[\dAB]\d{3}", re.ASCII)


@FUZZ
@given(raw=_IDS)
def test_an_id_is_parsed_or_refused_in_french(raw):
    error: InvalidTerritoryId | None = None
    try:
        tid = parse_territory_id(raw)
    except InvalidTerritoryId as exc:
        error = exc
    if error is not None:
        assert error.status == 400
        assert "n'est pas un identifiant de territoire" in error.message
        assert len(error.message) < 300  # a megabyte id is not echoed whole
        return
    assert _FORMS.fullmatch(tid)
    assert ID_PATTERN.fullmatch(tid)


def test_the_documented_forms_are_parsed():
    assert [parse_territory_id(t) for t in ("FR", " dep:35 ", "epci:243500139", "com:2A004")] == [
        "fr", "dep:35", "epci:243500139", "com:2A004"
    ]  # fmt: skip
    for wrong in ("dep:3 5", "com:35238\x00", "com:٣٥٢٣٨", "reg:", 53, None, "x" * 10**6):
        with pytest.raises(InvalidTerritoryId):
            parse_territory_id(wrong)


@pytest.mark.django_db
@FUZZ
@given(raw=_IDS)
def test_resolving_any_text_answers_a_territory_or_not_found(raw):
    try:
        resolved = resolve_territory(raw)
    except TerritoryNotFound as exc:
        status = exc.status
    else:
        status = 200
        assert resolved.territory.id
    assert status in (200, 400, 404)
