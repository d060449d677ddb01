"""Generated requests (schemathesis) from the API's own OpenAPI schema: whatever the
parameters, valid or not, no answer is a server error (5xx), and each answer is one the schema
documents (status, content type, body).

Offline and in-process: the schema and the calls go through the WSGI application, on the
test database with figures computed (without them the indicators answer 503 by design).
Bounded: a few dozen examples per operation, derandomised so that a run repeats."""

import datetime

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from maillage.indicators.services import recompute
from maillage.registers.services import SireneRequest, import_sirene

pytestmark = pytest.mark.django_db

OPERATIONS = [
    "GET /api/v1/territories",
    "GET /api/v1/territories/{territory_id}",
    "GET /api/v1/territories/{territory_id}/children",
    "GET /api/v1/territories/{territory_id}/indicators",
    "GET /api/v1/territories/{territory_id}/footprints",
    "GET /api/v1/territories/{territory_id}/impacts",
    "GET /api/v1/territories/{territory_id}/registers",
    "GET /api/v1/locate",
]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def in_process(settings):
    """Requests made through the WSGI handler stay inside the test's transaction (Django's
    test client does the same: a finished request would close the connection)."""
    settings.ALLOWED_HOSTS = ["*"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(referential, in_process):
    return schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())


def test_the_list_covers_every_operation_of_the_schema(api_schema):
    labels = {result.ok().label for result in api_schema.get_all_operations()}
    assert labels == set(OPERATIONS)


@pytest.mark.parametrize("label", OPERATIONS)
def test_no_generated_request_gets_a_server_error(api_schema, label, tmp_path):
    if label.endswith(("/indicators", "/footprints", "/impacts")):
        recompute(today=datetime.date(2026, 11, 26))
    if label.endswith("/registers"):  # some register data, for territories to describe
        periods = tmp_path / "periodes.csv"
        periods.write_text(
            "siret,dateDebut,dateFin,etat,code_ape,code_commune\n"
            "11111111100011,2019-03-01,,A,95.29Z,35238\n"
            "22222222200012,2021-03-01,,A,55.20Z,69384\n",
            "utf-8",
        )
        import_sirene(SireneRequest(path=periods, source="essai"))
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=30,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        case.call_and_validate(checks=CHECKS)

    call()
