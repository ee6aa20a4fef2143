"""The same storage behaviour on SQLite and, where CI provides one, PostgreSQL."""

import os

import pytest

from service.auth.models import Principal
from service.auth.service import TokenService
from service.auth.storage import AuthStorage
from service.core.db import Database, metadata
from service.core.errors import Conflict
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
