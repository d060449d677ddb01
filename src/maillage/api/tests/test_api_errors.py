"""One error shape on the whole API: `{"code", "message"}` (plus `details` sometimes), 4xx, in
French by default and in English with Accept-Language; the OpenAPI schema documents it."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from maillage.indicators.services import recompute

EN = {"Accept-Language": "en"}


@pytest.fixture
def figures(referential):
    """Figures for every territory (an empty inventory is enough to compare peers)."""
    return recompute(today=datetime.date(2026, 11, 26))


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert set(body) <= {"code", "message", "details"}
    return body


def test_a_value_that_is_not_a_number_is_a_coded_french_or_english_error(client):
    body = _error(
        client.get("/api/v1/locate", {"lon": "abc", "lat": 48}), 422, "invalid-parameters"
    )
    assert body["message"] == "Paramètre(s) invalide(s) : lon."
    assert "detail" not in body
    english = client.get("/api/v1/locate", {"lon": "abc", "lat": 48}, headers=EN)
    assert _error(english, 422, "invalid-parameters")["message"] == "Invalid parameter(s): lon."


@pytest.mark.django_db
def test_unknown_peers_are_an_error_that_names_them(client, figures):
    url = "/api/v1/territories/dep:35/indicators"
    body = _error(client.get(url, {"peers": "garbage,dep:29,dep:999"}), 400, "invalid-peers")
    assert body["message"] == (
        "Pairs inconnus : garbage, dep:999 (formes attendues : dep:29, epci:200039865, com:35238)."
    )
    assert body["details"] == {"unknown": ["garbage", "dep:999"], "other_level": []}
    english = _error(client.get(url, {"peers": "garbage"}, headers=EN), 400, "invalid-peers")
    assert english["message"].startswith("Unknown peers: garbage (expected forms:")
    chosen = client.get(url, {"peers": "dep:29, dep:22"})
    assert chosen.status_code == 200
    assert [m["id"] for m in chosen.json()["peers"]["members"]] == ["dep:29", "dep:22"]


@pytest.mark.django_db
def test_peers_of_another_level_are_an_error_that_names_them(client, figures):
    url = "/api/v1/territories/dep:35/indicators"
    body = _error(client.get(url, {"peers": "dep:29,com:35238,reg:53"}), 400, "invalid-peers")
    assert (
        body["message"] == "Pairs d'un autre niveau que dep:35 (Département) : com:35238, reg:53."
    )
    assert body["details"] == {"unknown": [], "other_level": ["com:35238", "reg:53"]}
    english = client.get(url, {"peers": "com:35238"}, headers=EN).json()["message"]
    assert english == "Peers of another level than dep:35 (Département): com:35238."


@pytest.mark.django_db
def test_the_command_refuses_bad_peers_and_the_page_says_it_left_them_out(client, figures):
    with pytest.raises(CommandError, match="Pairs d'un autre niveau que dep:35") as refused:
        call_command("indicators", "dep:35", "--peers", "com:35238", stdout=io.StringIO())
    assert refused.value.returncode == 2
    page = client.get("/territoires/dep:35/portrait/", {"pairs": "dep:29, com:35238, xyz"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Territoires d'un autre niveau, écartés : com:35238." in html
    assert "Identifiants sans territoire ni chiffres, écartés : xyz." in html
    twin = client.get(
        "/territoires/dep:35/portrait/", {"pairs": "dep:29,com:35238", "format": "json"}
    )
    assert [m["id"] for m in twin.json()["peers"]["members"]] == ["dep:29"]
    assert twin.json()["peers"]["other_level"] == ["com:35238"]


def test_a_method_the_api_does_not_serve_answers_405_as_code_and_message(client):
    body = _error(client.post("/api/v1/locate"), 405, "method-not-allowed")
    assert body["message"] == "Méthode POST non permise à cette adresse (permises : GET)."
    english = client.delete("/api/v1/territories", headers=EN)
    assert _error(english, 405, "method-not-allowed")["message"].startswith("Method DELETE not")


def test_a_host_not_served_is_a_json_400_under_the_api(client, settings):
    settings.ALLOWED_HOSTS = ["maillage.exemple.fr"]
    body = _error(client.get("/api/v1/locate", {"lon": 2, "lat": 48}), 400, "bad-request")
    assert body["message"] == "Requête invalide."


def test_the_openapi_schema_documents_the_error_shape_on_every_operation(client):
    schema = client.get("/api/v1/schema/").json()
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message"}
    assert {"code", "message", "details"} == set(error["properties"])
    expected = {
        "/api/v1/territories": {"422"},
        "/api/v1/territories/{territory_id}": {"400", "404"},
        "/api/v1/territories/{territory_id}/children": {"400", "404"},
        "/api/v1/territories/{territory_id}/indicators": {"400", "404", "503"},
        "/api/v1/territories/{territory_id}/registers": {"400", "404"},
        "/api/v1/locate": {"422"},
    }
    for path, statuses in expected.items():
        responses = schema["paths"][path]["get"]["responses"]
        assert set(responses) - {"200"} == statuses, path
        for status in statuses:
            ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/Error"
