"""Bad input is a 4xx with a message, never a 5xx, and nothing is stored."""

import pytest

BAD_SUGGEST = [
    ({"message": ""}, 422),
    ({"message": "   "}, 422),
    ({"message": "x" * 1_000_000}, 413),
    ({"message": "x" * 25_000}, 400),
    ({"message": "hello", "language": "de"}, 422),
    ({"message": "hello", "k": 0}, 400),
    ({"message": "hello", "k": 11}, 400),
    ({"message": 42}, 400),
    ({"message": "hi", "variables": "nope"}, 400),
    ({"text": "wrong field"}, 400),
    ([], 400),
]


@pytest.mark.parametrize("body,status", BAD_SUGGEST)
def test_suggest_bad_input(client, body, status):
    response = client.post("/api/v1/suggest", json=body)
    assert response.status_code == status, response.text
    assert response.json()["message"]


@pytest.mark.parametrize("raw", [b"{", b"not json", b'{"message": "a"', b"\xff\xfe"])
def test_malformed_json(client, raw):
    response = client.post("/api/v1/suggest", content=raw, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500
    assert response.json()["message"]


@pytest.mark.parametrize("body", [
    {"title": "", "language": "en", "body": "x"},
    {"title": "t", "language": "xx", "body": "x"},
    {"title": "t", "language": "en", "body": ""},
    {"title": "t", "language": "en", "body": "x", "status": "archived"},
    {"title": "t", "language": "en", "body": "x", "shortcut": "has space"},
    {"title": "t", "language": "en", "body": "x", "triggers": "not a list"},
    {"title": "t", "language": "en"},
])
def test_template_bad_input(client, body):
    before = len(client.get("/api/v1/templates", params={"limit": 1000}).json())
    response = client.post("/api/v1/templates", json=body)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["message"]
    assert len(client.get("/api/v1/templates", params={"limit": 1000}).json()) == before


def test_auth_errors(client):
    assert client.post("/api/v1/suggest", json={"message": "hi"}, headers={"Authorization": ""}).status_code == 401
    assert client.post("/api/v1/suggest", json={"message": "hi"}, headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_unknown_ids(client):
    assert client.get("/api/v1/templates/999999").status_code == 404
    assert client.post("/api/v1/render", json={"template_id": 999999}).status_code == 404
    assert client.post("/api/v1/templates/999999/revert", json={"version": 1}).status_code == 404
    assert client.post("/api/v1/templates/1/revert", json={"version": 0}).status_code == 400


def test_openapi_schema(client):
    schema = client.get("/schema/openapi.json").json()
    assert "/api/v1/suggest" in schema["paths"] and "/api/v1/check" in schema["paths"]
