"""Feedback and analytics, coverage gaps, promoting picks, import and export."""

import io
import json
import zipfile

from tests.conftest import classifiers_serve, token_for


def suggest(client, message, **extra):
    response = client.post("/api/v1/suggest", json={"message": message, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def feedback(client, suggestion_id, template_id, action, edit_ratio=None):
    body = {"suggestion_id": suggestion_id, "template_id": template_id, "action": action}
    if edit_ratio is not None:
        body["edit_ratio"] = edit_ratio
    return client.post("/api/v1/feedback", json=body)


def test_analytics_from_scripted_feedback(client):
    created = client.post("/api/v1/templates", json={
        "title": "Analytics probe", "language": "en", "body": "Hello, the telescope lens is on its way.",
        "triggers": ["where is my telescope lens", "telescope lens delivery", "lens for telescope not here",
                     "telescope lens order status", "when does the telescope lens arrive"]}).json()
    tid = created["id"]
    picked_ranks = []
    for n, (action, edit) in enumerate([("inserted", 0.2), ("inserted", 0.8), ("dismissed", None)]):
        s = suggest(client, f"my telescope lens has not arrived yet ({n})", k=3)
        ids = [x["template_id"] for x in s["suggestions"]]
        assert tid in ids
        for shown in ids:
            assert feedback(client, s["suggestion_id"], shown, "shown").status_code == 201
        r = feedback(client, s["suggestion_id"], tid, action)
        assert r.status_code == 201
        if action == "inserted":
            picked_ranks.append(ids.index(tid) + 1)
            assert r.json()["rank"] == ids.index(tid) + 1
            assert feedback(client, s["suggestion_id"], tid, "sent", edit).status_code == 201
    rows = {r["template_id"]: r for r in client.get("/api/v1/analytics/templates", params={"language": "en"}).json()}
    row = rows[tid]
    assert (row["shown"], row["inserted"], row["dismissed"], row["sent"]) == (3, 2, 1, 2)
    assert row["acceptance_rate"] == round(2 / 3, 4)
    assert row["mean_rank_when_picked"] == sum(picked_ranks) / 2
    assert row["mean_edit_ratio"] == 0.5 and row["heavily_edited"] is False and row["never_used"] is False
    assert row["last_used"] is not None
    never = [r for r in rows.values() if r["never_used"]]
    assert never  # most starter templates were never inserted in this session


def test_feedback_bad_input(client):
    assert feedback(client, "no-such-suggestion", 1, "shown").status_code == 404
    s = suggest(client, "I forgot my password")
    assert feedback(client, s["suggestion_id"], 1, "liked").status_code == 400
    assert feedback(client, s["suggestion_id"], 1, "sent", 1.5).status_code == 400


def test_promote_picked_messages_to_triggers(client):
    s = suggest(client, "my cat keeps chewing the charging cable of the device", k=1, language="en")
    template_id = s["suggestions"][0]["template_id"]
    feedback(client, s["suggestion_id"], template_id, "inserted")
    picks = client.get(f"/api/v1/templates/{template_id}/picks").json()
    assert picks[0]["suggestion_id"] == s["suggestion_id"]
    promoted = client.post(f"/api/v1/templates/{template_id}/promote", json={"suggestion_ids": [s["suggestion_id"]]})
    assert promoted.status_code == 200
    assert "my cat keeps chewing the charging cable of the device" in promoted.json()["triggers"]
    again = suggest(client, "my cat keeps chewing the charging cable of the device", k=1, language="en")
    assert again["suggestions"][0]["template_id"] == template_id
    assert client.post(f"/api/v1/templates/{template_id}/promote", json={"suggestion_ids": ["nope"]}).status_code == 422


def test_gaps_cluster_unmatched_messages_and_redact(client):
    for text in ["Do you sell gift cards for birthdays? mail me at joe@example.com",
                 "Can I buy a gift card for a friend?", "Are gift cards available in your shop?",
                 "How do I get a gift voucher card?",
                 "What is the weather on Mars tomorrow?", "Will it rain on Mars next week?"]:
        suggest(client, text, language="en")
    topics = client.get("/api/v1/gaps", params={"language": "en"}).json()
    gift = [t for t in topics if any("gift" in e.lower() for e in t["examples"])]
    assert gift and max(t["count"] for t in gift) >= 3
    assert all("joe@example.com" not in e for t in topics for e in t["examples"])
    # asked again: the same topics (kept for the same messages), and a new message is never missed
    assert client.get("/api/v1/gaps", params={"language": "en"}).json() == topics
    suggest(client, "Is there a weather forecast for Jupiter at the weekend?", language="en")
    again = client.get("/api/v1/gaps", params={"language": "en"}).json()
    assert any("Jupiter" in e for t in again for e in t["examples"])
    assert sum(t["count"] for t in again) == sum(t["count"] for t in topics) + 1
    agent = token_for(client.app.state.resources, "agent")
    assert client.get("/api/v1/gaps", headers=agent).status_code == 403


def test_export_import_round_trip_files_and_csv(client, resources):
    lead = token_for(resources, "lead", team="roundtrip")
    client.post("/api/v1/templates", headers=lead, json={
        "title": "Round trip", "language": "ru", "body": "Привет, {{ customer.first_name }}!", "triggers": ["раз", "два"],
        "tags": ["x"], "shortcut": "round-trip", "status": "draft", "translation_group": "rt"})
    exported = client.get("/api/v1/export", headers=lead, params={"format": "files"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("application/zip")
    names = zipfile.ZipFile(io.BytesIO(exported.content)).namelist()
    assert "ru/round-trip.md" in names
    lead2 = token_for(resources, "lead", team="roundtrip2")
    response = client.post("/api/v1/import", headers=lead2, params={"format": "files"}, content=exported.content)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["problems"] == [] and report["created"]
    fields = ("title", "language", "body", "triggers", "tags", "shortcut", "status", "translation_group")
    mine = {t["title"]: t for t in client.get("/api/v1/templates", headers=lead, params={"limit": 1000}).json()}
    theirs = {t["title"]: t for t in client.get("/api/v1/templates", headers=lead2, params={"limit": 1000}).json()
              if t["team_id"] is not None}
    assert {f: theirs["Round trip"][f] for f in fields} == {f: mine["Round trip"][f] for f in fields}

    csv_text = client.get("/api/v1/export", headers=lead, params={"format": "csv", "language": "ru"}).text
    assert "round-trip" in csv_text
    lead3 = token_for(resources, "lead", team="roundtrip3")
    report = client.post("/api/v1/import", headers=lead3, params={"format": "csv"},
                         content=csv_text.replace("round-trip", "round-trip-csv").encode()).json()
    assert report["created"]


def test_zendesk_and_chatwoot_importers_map_variables(client, resources):
    lead = token_for(resources, "lead", team="importers")
    zendesk = {"macros": [{"title": "Billing::Refund issued", "active": True, "actions": [
        {"field": "comment_value", "value": "Hi {{ticket.requester.first_name}}, your refund for #{{ticket.id}} is on its way. {{current_user.name}}"}]}]}
    report = client.post("/api/v1/import", headers=lead, params={"format": "zendesk"}, content=json.dumps(zendesk).encode()).json()
    template = client.get(f"/api/v1/templates/{report['created'][0]}", headers=lead).json()
    assert template["body"] == "Hi {{ customer.first_name }}, your refund for #{{ ticket.id }} is on its way. {{ agent.name }}"
    assert template["title"] == "Billing / Refund issued" and template["language"] == "en"
    chatwoot = [{"short_code": "welcome_ru", "content": "Здравствуйте, {{contact.first_name}}! Меня зовут {{agent.name}}."}]
    report = client.post("/api/v1/import", headers=lead, params={"format": "chatwoot"}, content=json.dumps(chatwoot).encode()).json()
    template = client.get(f"/api/v1/templates/{report['created'][0]}", headers=lead).json()
    assert template["body"] == "Здравствуйте, {{ customer.first_name }}! Меня зовут {{ agent.name }}."
    assert template["language"] == "ru" and template["shortcut"] == "welcome_ru"


def test_import_bad_input(client):
    for fmt, body in [("files", b"not a zip"), ("csv", b"a,b\n1,2"), ("zendesk", b"{bad"), ("chatwoot", b"{}"), ("files", b"")]:
        response = client.post("/api/v1/import", params={"format": fmt}, content=body)
        assert 400 <= response.status_code < 500, (fmt, response.text)
        assert response.json()["message"]
    assert client.post("/api/v1/import", params={"format": "pdf"}, content=b"x").status_code == 400


def test_a_team_that_imports_the_shared_library_gets_each_reply_once(client, resources):
    """Teams import the shared library to adapt it: then each reply exists twice, the team's copy
    and the shared one. The team's agents get their copy, other teams the shared one, each once,
    and as sure as before (CI once failed here: the copies split the confidence for everyone)."""
    lead = token_for(resources, "lead", team="copies")
    exported = client.get("/api/v1/export", headers=lead, params={"format": "csv", "language": "en"}).text
    signed = exported.replace("Best regards", "Kind regards from the Copies team")  # adapted a little
    report = client.post("/api/v1/import", headers=lead, params={"format": "csv"}, content=signed.encode()).json()
    assert report["problems"] == [] and len(report["created"]) >= 40
    classifiers_serve(client)
    message = {"message": "I forgot my password and the reset link never arrives", "language": "en", "k": 3}
    ours = client.post("/api/v1/suggest", headers=token_for(resources, "agent", team="copies"), json=message).json()
    theirs = client.post("/api/v1/suggest", headers=token_for(resources, "agent", team="others"), json=message).json()
    for result in (ours, theirs):
        titles = [s["title"] for s in result["suggestions"]]
        assert titles[0] == "Password reset" and len(set(titles)) == len(titles), titles
        assert result["confidence"] >= 0.5 and result["low_confidence"] is False, result["confidence"]
    first = ours["suggestions"][0]["template_id"]
    assert first in report["created"] and theirs["suggestions"][0]["template_id"] not in report["created"]
