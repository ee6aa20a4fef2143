"""The same storage behaviour on SQLite and, where CI provides one, PostgreSQL."""

import os

import pytest

from service.auth.models import Principal
from service.auth.service import TokenService
from service.auth.storage import AuthStorage
from service.core.db import Database, metadata
from service.core.errors import Conflict, ValidationFailed
from service.core.settings import Settings
from service.core.wiring import open_library
from service.library.schemas import TemplateCreate, TemplateUpdate

ADMIN = Principal("admin", "admin")
POSTGRES = os.environ.get("TACT_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path):
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path}/t.sqlite3")
    else:
        if not POSTGRES:
            pytest.skip("TACT_TEST_POSTGRES_URL is not set (.ci/run starts PostgreSQL and sets it)")
        database = Database(POSTGRES)
        with database.begin() as conn:  # a clean slate for each test
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
    yield database
    database.dispose()


def test_repository_round_trip(db):
    repo = open_library(Settings(), db)
    t = repo.create(TemplateCreate(title="Hi", language="ru", body="Привет", triggers=["a", "A ", "b"], shortcut="Hi"), ADMIN)
    first = repo.revision("ru")
    assert t.triggers == ["a", "b"] and t.shortcut == "hi" and first.startswith("log:")
    before, after = repo.update(t.id, TemplateUpdate(body="Здравствуйте"), ADMIN)
    assert (before.version, after.version) == (1, 2) and int(repo.revision("ru")[4:]) > int(first[4:])
    # the change log names the template once per write, in order, for the replicas that follow it
    log = repo.changes_since("ru", 0)
    assert [(template_id, op) for _, template_id, op in log] == [(t.id, "upsert"), (t.id, "upsert")]
    assert log[0][0] < log[1][0] and repo.changes_since("en", 0) == []
    assert [v.version for v in repo.versions(t.id)] == [1, 2]
    with pytest.raises(Conflict):
        repo.create(TemplateCreate(title="Other", language="ru", body="x", shortcut="hi"), ADMIN)
    repo.delete(t.id, ADMIN)
    assert repo.count() == 0 and repo.list() == []


def test_text_holding_nul_is_refused_alike_on_both_engines(db):
    """PostgreSQL cannot store U+0000 (its driver raised a DataError: a 500); SQLite would. The
    storage layer refuses it on both with a ValidationFailed, whichever way it came."""
    repo = open_library(Settings(), db)
    with pytest.raises(ValidationFailed, match="NUL"):
        repo.create(TemplateCreate(title="Nul \x00 title", language="en", body="Hi"), ADMIN)
    with pytest.raises(ValidationFailed, match="NUL"):
        repo.list(q="a\x00b")
    assert repo.count() == 0


def test_tokens(db):
    tokens = TokenService(AuthStorage(db), None)
    team = tokens.ensure_team("support")
    assert tokens.ensure_team("support") == team
    raw = tokens.create("lead", "lead", team_id=team)
    principal = tokens.authenticate(f"Bearer {raw}")
    assert (principal.role, principal.team_id) == ("lead", team)


def test_concurrent_edits_of_one_template_get_consecutive_versions(db):
    """Two writers (as two replicas would) on one template: every edit gets its own version and
    no edit of another field is lost."""
    import threading

    first, second = open_library(Settings(), db), open_library(Settings(), db)
    t = first.create(TemplateCreate(title="Race", language="en", body="Hello", tags=["a"]), ADMIN)
    errors = []

    def edit(library, field, values):
        for value in values:
            try:
                library.update(t.id, TemplateUpdate(**{field: value}), ADMIN)
            except Exception as exc:  # noqa: BLE001 - the test reports it
                errors.append(exc)

    threads = [threading.Thread(target=edit, args=(first, "title", [f"Race {n}" for n in range(15)])),
               threading.Thread(target=edit, args=(second, "body", [f"Hello {n}" for n in range(15)]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    versions = [v.version for v in first.versions(t.id)]
    assert versions == list(range(1, 32))
    final = first.get(t.id)
    assert (final.title, final.body, final.version) == ("Race 14", "Hello 14", 31)


def test_pruned_change_log_keeps_each_languages_newest_and_a_stale_replica_compares_everything(db, tmp_path):
    """Issue 12: the change log is pruned; a replica whose index stands before the pruned part
    cannot trust the log any more and compares the whole library (nothing missed)."""
    import datetime as dt

    import sqlalchemy as sa

    from service.languages import load_languages
    from service.library.storage import template_changes
    from service.suggest.embedders import Embedders
    from service.suggest.search import SearchIndexes, log_position
    from tests.unit.test_team_search import HashEmbedder

    settings = Settings(data_dir=tmp_path, languages=("en",))
    repo = open_library(settings, db)
    languages = load_languages(settings.languages, settings.language_dirs)
    embedders = Embedders()
    for language in languages:
        embedders._loaded[language.model] = HashEmbedder()
    stale = SearchIndexes(settings, languages, repo, embedders)
    stale.rebuild("en")  # an empty index at the log's start
    first = repo.create(TemplateCreate(title="Refund", language="en", body="Refunds take five days.",
                                       triggers=["where is my refund"]), ADMIN)
    gone = repo.create(TemplateCreate(title="Parcel", language="en", body="Your parcel is on its way.",
                                      triggers=["where is my parcel"]), ADMIN)
    repo.delete(gone.id, ADMIN)
    repo.create(TemplateCreate(title="Password", language="en", body="Use the reset link.",
                               triggers=["i forgot my password"]), ADMIN)
    newest = repo.changes_since("en", 0)[-1][0]
    with db.begin() as conn:  # all of it two months old
        conn.execute(template_changes.update().values(created_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=60)))
    assert repo.prune_changes(0) == 0  # 0 keeps the log whole
    assert repo.prune_changes(30) == 3
    assert [seq for seq, _, _ in repo.changes_since("en", 0)] == [newest]  # the newest stays: the revision
    assert repo.pruned_through("en") == newest - 1 and repo.revision("en") == f"log:{newest}"
    assert repo.prune_changes(30) == 0  # idempotent (any replica may run it)

    stale.follow_all("en")
    index = stale.indexes["en"]
    held = {d.title for d in index.documents().values()}
    assert held == {"Refund", "Password"} and log_position(index.revision) == newest
    assert index.search("i forgot my password", k=1).hits[0].template_id != first.id
    # a later edit is followed through the log again
    repo.update(first.id, TemplateUpdate(title="Refunds"), ADMIN)
    stale.follow("en")
    assert {d.title for d in index.documents().values()} == {"Refunds", "Password"}


def test_vectors_no_template_uses_any_more_are_pruned(db, tmp_path):
    """Issue 12: an edit or a deletion leaves the old texts' vectors behind; the hourly prune drops
    them for the models served, keeps every live text's (a new replica still encodes nothing) and
    leaves other models' vectors alone."""
    import sqlalchemy as sa

    from service.core.settings import ModelSettings
    from service.languages import load_languages
    from service.suggest.embedders import Embedders
    from service.suggest.search import SearchIndexes
    from service.suggest.stored_embeddings import StoredEmbeddings, embeddings, text_hash
    from tests.unit.test_stored_embeddings import Counting

    admin = ADMIN

    def replica(folder):
        settings = Settings(data_dir=tmp_path / folder, languages=("en",), models=ModelSettings(by_language={"en": "hash-test"}))
        library = open_library(settings, db)
        model = Counting()
        embedders = Embedders()
        embedders._loaded.update({"hash-test": model})
        return library, SearchIndexes(settings, load_languages(("en",)), library, embedders), model

    def stored():
        with db.connect() as conn:
            return {(r.model, r.text_hash) for r in conn.execute(sa.select(embeddings.c.model, embeddings.c.text_hash))}

    library, search, _ = replica("a")
    search.open()
    made = [library.create(TemplateCreate(title=f"Topic {n}", language="en", body=f"About topic {n}.",
                                          triggers=[f"question about topic {n}", f"help with topic {n}"]), admin)
            for n in range(4)]
    StoredEmbeddings(Counting("another-model"), db).encode(["question about topic 1"])
    library.update(made[0].id, TemplateUpdate(triggers=["a brand new question"]), admin)
    library.delete(made[1].id, admin)
    gone = {("hash-test", text_hash(t)) for t in ("question about topic 0", "help with topic 0", "Topic 1. About topic 1",
                                                   "question about topic 1", "help with topic 1", "Topic 1")}
    assert gone <= stored()
    removed = search.prune_embeddings()
    assert removed == len(gone) and not gone & stored()
    assert ("another-model", text_hash("question about topic 1")) in stored()
    assert search.search("en", "a brand new question", 1, None).hits[0].template_id == made[0].id
    search.stop()
    _, fresh, model = replica("b")  # a new replica reads every live vector
    fresh.open()
    assert model.texts == 0 and len(fresh.indexes["en"]) == 3
    assert fresh.prune_embeddings() == 0
    fresh.stop()
