"""Who may do what, and how much: team boundaries on every route, tokens an admin lists and
revokes, the per-token rate limit, sign-in lockout with the same timing for unknown e-mails, and
CSRF on the web UI's forms."""

import statistics
import time

import pytest

from service.auth.throttle import RateLimiter
from tests.conftest import csrf_token, token_for, ui_sign_in


@pytest.fixture(scope="module")
def teams(client, resources):
    """Two teams, each with a lead and an agent, and a draft and a published template each."""
    out = {}
    for team in ("north", "south"):
        lead, agent = token_for(resources, "lead", team), token_for(resources, "agent", team)
        made = {}
        for status in ("published", "draft"):
            r = client.post("/api/v1/templates", headers=lead, json={
                "title": f"{team} {status} parcel locker code", "language": "en", "status": status,
                "body": f"Hello, your {team} parcel locker code is on its way.",
                "triggers": [f"{team} locker code missing", f"where is my {team} locker pin", f"{team} parcel locker"]})
            assert r.status_code == 201, r.text
            made[status] = r.json()["id"]
        out[team] = {"lead": lead, "agent": agent, **made}
    return out


def test_templates_stay_inside_their_team(client, teams):
    north, south = teams["north"], teams["south"]
    for other in (south["published"], south["draft"]):
        assert client.get(f"/api/v1/templates/{other}", headers=north["lead"]).status_code == 404
        assert client.get(f"/api/v1/templates/{other}", headers=north["agent"]).status_code == 404
        assert client.put(f"/api/v1/templates/{other}", headers=north["lead"], json={"title": "x"}).status_code == 404
        assert client.delete(f"/api/v1/templates/{other}", headers=north["lead"]).status_code == 404
        assert client.get(f"/api/v1/templates/{other}/versions", headers=north["lead"]).status_code == 404
        assert client.post(f"/api/v1/templates/{other}/revert", headers=north["lead"], json={"version": 1}).status_code == 404
        assert client.post("/api/v1/render", headers=north["agent"], json={"template_id": other}).status_code == 404
        assert client.post("/api/v1/check", headers=north["agent"], json={"text": "Hi.", "template_id": other}).status_code == 404
        assert client.get(f"/api/v1/templates/{other}/picks", headers=north["lead"]).status_code == 404
    # agents do not see their own team's drafts; leads do
    assert client.get(f"/api/v1/templates/{north['draft']}", headers=north["agent"]).status_code == 404
    assert client.get(f"/api/v1/templates/{north['draft']}", headers=north["lead"]).status_code == 200
    listed = {t["id"] for t in client.get("/api/v1/templates", headers=north["lead"], params={"q": "parcel locker"}).json()}
    assert listed == {north["published"], north["draft"]}
    exported = client.get("/api/v1/export", headers=north["lead"], params={"format": "csv"}).text
    assert "north published" in exported and "south" not in exported
    analytics = {r["template_id"] for r in client.get("/api/v1/analytics/templates", headers=north["lead"]).json()}
    assert north["published"] in analytics and south["published"] not in analytics


def test_suggestions_feedback_and_gaps_stay_inside_their_team(client, teams):
    north, south = teams["north"], teams["south"]
    data = client.post("/api/v1/suggest", headers=north["agent"], json={"message": "my north locker pin never came", "k": 5}).json()
    shown = [s["template_id"] for s in data["suggestions"]]
    assert north["published"] in shown and south["published"] not in shown and north["draft"] not in shown
    feedback = {"suggestion_id": data["suggestion_id"], "template_id": south["draft"], "action": "inserted"}
    assert client.post("/api/v1/feedback", headers=north["agent"], json=feedback).status_code == 404
    feedback["template_id"] = north["published"]
    assert client.post("/api/v1/feedback", headers=north["agent"], json=feedback).status_code == 201
    # an unanswerable message from a south customer never reaches the north lead's gaps
    secret = "zebra-striped hovercraft warranty for the south office"
    for _ in range(2):
        client.post("/api/v1/suggest", headers=south["agent"], json={"message": secret, "language": "en"})
    south_gaps = " ".join(e for t in client.get("/api/v1/gaps", headers=south["lead"]).json() for e in t["examples"])
    north_gaps = " ".join(e for t in client.get("/api/v1/gaps", headers=north["lead"]).json() for e in t["examples"])
    assert "hovercraft" in south_gaps and "hovercraft" not in north_gaps


def test_check_rules_are_per_team(client, teams):
    north, south = teams["north"], teams["south"]
    rules = {"banned_phrases": [{"phrase": "no worries", "replacement": "You're welcome"}], "disabled_rules": []}
    assert client.put("/api/v1/check/rules", headers=north["lead"], json=rules).status_code == 200
    text = {"text": "Hello, no worries at all.", "language": "en"}
    north_rules = {i["rule"] for i in client.post("/api/v1/check", headers=north["agent"], json=text).json()["issues"]}
    south_rules = {i["rule"] for i in client.post("/api/v1/check", headers=south["agent"], json=text).json()["issues"]}
    assert "TEAM_BANNED_PHRASE" in north_rules and "TEAM_BANNED_PHRASE" not in south_rules
    assert client.get("/api/v1/check/rules", headers=south["lead"]).json()["banned_phrases"] == []
    assert client.put("/api/v1/check/rules", headers=north["agent"], json=rules).status_code == 403


def test_admin_lists_and_revokes_tokens_at_once(client, resources):
    made = client.post("/api/v1/tokens", json={"name": "temp-agent", "role": "agent", "expires_in_days": 30})
    assert made.status_code == 201, made.text
    body = made.json()
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert body["expires_at"] and client.post("/api/v1/suggest", headers=headers, json={"message": "hi there"}).status_code == 200
    listed = client.get("/api/v1/tokens").json()
    mine = next(t for t in listed if t["id"] == body["id"])
    assert "token" not in mine and body["token"].startswith(mine["prefix"]) and mine["last_used_at"]
    assert client.get("/api/v1/tokens", headers=headers).status_code == 403
    assert client.delete(f"/api/v1/tokens/{body['id']}").status_code == 204
    assert client.post("/api/v1/suggest", headers=headers, json={"message": "hi there"}).status_code == 401
    assert client.delete("/api/v1/tokens/999999").status_code == 404
    assert body["id"] not in {t["id"] for t in client.get("/api/v1/tokens").json()}


def test_revocation_from_the_cli_works_at_once(client, resources, service_settings):
    import subprocess
    import sys

    token = resources.tokens.create("cli-revoked", "agent")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/suggest", headers=headers, json={"message": "hello"}).status_code == 200
    token_id = next(t["id"] for t in resources.tokens.list() if t["name"] == "cli-revoked")
    out = subprocess.run([sys.executable, "-m", "service.cli", "token", "revoke", str(token_id), "--data-dir",
                          str(service_settings.data_dir)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert client.post("/api/v1/suggest", headers=headers, json={"message": "hello"}).status_code == 401


def test_rate_limit_answers_429_with_retry_after(client, resources):
    headers = token_for(resources, "agent", name="hasty")
    saved, resources.rate_limiter = resources.rate_limiter, RateLimiter(per_minute=3)
    try:
        codes = [client.post("/api/v1/suggest", headers=headers, json={"message": "hi"}).status_code for _ in range(4)]
        assert codes[:3] == [200, 200, 200] and codes[3] == 429
        limited = client.post("/api/v1/suggest", headers=headers, json={"message": "hi"})
        assert int(limited.headers["Retry-After"]) >= 1 and limited.json()["error"] == "too_many_requests"
        other = token_for(resources, "agent", name="patient")
        assert client.post("/api/v1/suggest", headers=other, json={"message": "hi"}).status_code == 200
    finally:
        resources.rate_limiter = saved


def _login(client, email, password, csrf=True):
    token = csrf_token(client)
    form = {"email": email, "password": password, **({"_csrf_token": token} if csrf else {})}
    started = time.perf_counter()
    response = client.post("/ui/login", data=form, headers={"Authorization": ""}, follow_redirects=False)
    return response, time.perf_counter() - started


def test_sign_in_locks_out_with_backoff_and_does_not_tell_who_exists(client, resources):
    resources.users.add("known@acme.example", "Known", "lead", "right password 1")
    known = [_login(client, "known@acme.example", "wrong password")[1] for _ in range(3)]
    unknown = [_login(client, f"nobody{n}@acme.example", "wrong password")[1] for n in range(3)]
    assert statistics.median(unknown) > 0.4 * statistics.median(known)  # both verify an Argon2 hash
    for _ in range(3):
        _login(client, "known@acme.example", "wrong password")
    locked, _ = _login(client, "known@acme.example", "right password 1")
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1
    resources.users.throttle.succeeded("email:known@acme.example", "client:testclient")
    ok, _ = _login(client, "known@acme.example", "right password 1")
    assert ok.status_code in (301, 302, 303)
    client.cookies.clear()


def test_ui_forms_need_the_csrf_token(client, resources):
    resources.users.add("csrf@acme.example", "Csrf", "lead", "right password 2")
    assert _login(client, "csrf@acme.example", "right password 2", csrf=False)[0].status_code == 403
    assert _login(client, "csrf@acme.example", "right password 2")[0].status_code in (301, 302, 303)
    form = {"title": "Forged", "language": "en", "body": "Hello", "status": "published"}
    forged = client.post("/ui/templates", data=form, headers={"Authorization": ""}, follow_redirects=False)
    assert forged.status_code == 403
    assert "Forged" not in client.get("/api/v1/templates", params={"q": "Forged"}).text
    client.cookies.clear()


def test_ui_goes_through_the_api_validation(client, resources):
    resources.users.add("forms@acme.example", "Forms", "lead", "right password 3")
    token = ui_sign_in(client, "forms@acme.example", "right password 3")
    good = {"title": "UI form", "language": "en", "body": "Hello", "status": "published", "_csrf_token": token}
    for bad in ({"status": "bogus"}, {"title": "x" * 5000}, {"shortcut": "a b/../c"}, {"language": "xx"}, {"id": "abc"},
                {"id": "99999999999999999999999"}, {"id": "-5"}, {"title": "nul \x00 title"}):
        response = client.post("/ui/templates", data={**good, **bad}, headers={"Authorization": ""}, follow_redirects=False)
        assert 400 <= response.status_code < 500, (bad, response.status_code)
    assert client.get("/api/v1/templates", params={"q": "UI form"}).json() == []
    for url in ("/ui/templates/abc", "/ui/templates/1/history?x=1", "/ui/templates?language=xx"):
        assert client.get(url, headers={"Authorization": ""}).status_code < 500, url
    for version in ("abc", "99999999999999999999999"):  # past the database's range: was a 500
        revert = client.post("/ui/templates/1/revert", data={"version": version, "_csrf_token": token},
                             headers={"Authorization": ""}, follow_redirects=False)
        assert 400 <= revert.status_code < 500, version
    for body in ({"body": "Hi", "language": ["en"]}, {"body": 5, "language": {"ru": 1}}):  # a list was a 500
        preview = client.post("/ui/preview", json=body, headers={"Authorization": "", "x-csrftoken": token})
        assert preview.status_code == 201 and "text" in preview.json(), body
    client.cookies.clear()


def test_teams_teach_the_etiquette_check_without_a_restart(client, resources):
    teacher, other = token_for(resources, "lead", "teachers"), token_for(resources, "lead", "others")
    teacher_agent = token_for(resources, "agent", "teachers")

    def rules_of(headers, text):
        result = client.post("/api/v1/check", headers=headers, json={"text": text, "language": "en"}).json()
        return {i["rule"] for i in result["issues"] if i["rule"].startswith("ETIQUETTE_")}

    # Globex is this team's partner, not a competitor: the model cannot know that
    closing, partner, name = "I am closing this ticket right now.", "For this plan, Globex routers are the better choice.", \
        "Initech offers a weekend plan."
    assert rules_of(teacher_agent, closing) == set() and rules_of(teacher_agent, name) == set()
    assert rules_of(teacher_agent, partner)  # the model's own false alarm, before the team says otherwise
    taught = {"never_say": [{"text": "I'm closing this ticket now.", "category": "dismiss"}],
              "fine": [{"text": "Globex routers are what we recommend for this plan."}], "competitors": ["Initech"]}
    saved = client.put("/api/v1/check/rules", headers=teacher, json=taught)
    assert saved.status_code == 200 and saved.json()["competitors"] == ["Initech"]
    assert rules_of(teacher_agent, closing) == {"ETIQUETTE_DISMISS"}
    assert rules_of(teacher_agent, partner) == set()
    assert rules_of(teacher_agent, name) == {"ETIQUETTE_COMPETITOR"}
    assert rules_of(other, closing) == set() and rules_of(other, partner)  # other teams are untouched
    assert client.get("/api/v1/check/rules", headers=teacher).json()["fine"][0]["text"].startswith("Globex routers")


@pytest.mark.parametrize("body", [
    {"never_say": [{"text": ""}]},
    {"never_say": [{"text": "   "}]},
    {"fine": [{"text": "This is fine."}] * 10_000},
    {"never_say": [{"text": "Go away.", "category": "rudeness"}]},
    {"competitors": [""]},
])
def test_bad_team_examples_are_refused(client, resources, body):
    lead = token_for(resources, "lead", "teachers-bad")
    response = client.put("/api/v1/check/rules", headers=lead, json=body)
    assert 400 <= response.status_code < 500 and response.json()["message"]
    assert client.get("/api/v1/check/rules", headers=lead).json()["never_say"] == []
