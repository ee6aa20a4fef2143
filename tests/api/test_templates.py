"""Template CRUD, versions, roles, validation."""

from tests.conftest import token_for

BODY = "Hello {{ customer.first_name | default('there') }}, thanks for writing."


def create(client, headers=None, **fields):
    payload = {"title": "Greeting", "language": "en", "body": BODY, "triggers": ["hello there"], **fields}
    return client.post("/api/v1/templates", json=payload, headers=headers or {})


def test_create_get_update_versions_revert(client):
    created = create(client, title="Versioned", shortcut="versioned-1", tags=["test"])
    assert created.status_code == 201
    t = created.json()
    assert t["version"] == 1 and t["shortcut"] == "versioned-1" and t["variables"] == ["customer.first_name"]
    updated = client.put(f"/api/v1/templates/{t['id']}", json={"body": "Hi {{ customer.name }}!"}).json()
    assert updated["version"] == 2 and updated["title"] == "Versioned"
    versions = client.get(f"/api/v1/templates/{t['id']}/versions").json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["changed_fields"] == ["body"] and versions[1]["author"] == "bootstrap"
    reverted = client.post(f"/api/v1/templates/{t['id']}/revert", json={"version": 1}).json()
    assert reverted["version"] == 3 and reverted["body"] == BODY
    same = client.put(f"/api/v1/templates/{t['id']}", json={"body": BODY}).json()
    assert same["version"] == 3  # nothing changed, no new version


def test_list_filters(client):
    create(client, title="Filter me", tags=["filter-tag"], language="ru", body="Привет")
    by_tag = client.get("/api/v1/templates", params={"tag": "filter-tag"}).json()
    assert [t["title"] for t in by_tag] == ["Filter me"]
    ru = client.get("/api/v1/templates", params={"language": "ru", "q": "filter"}).json()
    assert [t["title"] for t in ru] == ["Filter me"]


def test_syntax_error_is_422_with_position(client):
    response = create(client, body="Hello\n{{ customer.first_name ")
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "template_syntax" and body["line"] >= 2 and "line" in body["message"]


def test_sandbox_escape_is_refused_on_save(client):
    response = create(client, body="{{ ''.__class__.__mro__ }}")
    assert response.status_code == 422 and "unsafe" in response.json()["message"]


def test_duplicate_shortcut_is_409(client):
    assert create(client, shortcut="dup-short").status_code == 201
    clash = create(client, shortcut="dup-short")
    assert clash.status_code == 409 and "dup-short" in clash.json()["message"]


def test_lint_on_save_unknown_variable_near_duplicate_and_check(client):
    original = client.get("/api/v1/templates", params={"q": "Refund approved", "language": "en"}).json()[0]
    twin = create(client, title="Refund approved", body=original["body"] + " {{ customer.age }}",
                  triggers=["I want my money back"]).json()
    unknown = [w for w in twin["warnings"] if w["kind"] == "unknown_variable"]
    assert unknown and unknown[0]["variable"] == "customer.age"
    near = [w for w in twin["warnings"] if w["kind"] == "near_duplicate"]
    assert original["id"] in [w["template_id"] for w in near]
    rude = create(client, title="Rude draft", body="As I already said, its your fault. Read the manual!!!").json()
    rules = {w["rule"] for w in rude["warnings"] if w["kind"] == "check"}
    assert {"TONE_REPEAT", "TONE_EXCLAMATION"} <= rules


def test_roles(client, resources):
    agent = token_for(resources, "agent")
    assert create(client, headers=agent).status_code == 403
    lead_team = token_for(resources, "lead", team="seven")
    own = create(client, headers=lead_team, title="Team seven")
    assert own.status_code == 201 and own.json()["team_id"] == resources.tokens.ensure_team("seven")
    lead_other = token_for(resources, "lead", team="eight")
    assert client.put(f"/api/v1/templates/{own.json()['id']}", headers=lead_other, json={"title": "x"}).status_code == 404
    assert client.delete(f"/api/v1/templates/{own.json()['id']}", headers=agent).status_code == 403


def test_delete_is_soft_and_revert_restores(client):
    t = create(client, title="To delete").json()
    assert client.delete(f"/api/v1/templates/{t['id']}").status_code == 204
    assert client.get(f"/api/v1/templates/{t['id']}").status_code == 404
    versions = client.get(f"/api/v1/templates/{t['id']}/versions").json()
    assert versions[0]["snapshot"]["title"] == "To delete"
    restored = client.post(f"/api/v1/templates/{t['id']}/revert", json={"version": 1})
    assert restored.status_code == 200 and client.get(f"/api/v1/templates/{t['id']}").status_code == 200
