"""Several replicas on one PostgreSQL database, started at the same moment: migrations run once
(under an advisory lock), the starter library is imported once, and an edit on one replica reaches
the others' suggestions."""

from __future__ import annotations

import os
import threading
import time
import uuid

import httpx
import pytest
import sqlalchemy as sa

from tests.servers import start_server

POSTGRES = os.environ.get("TACT_TEST_POSTGRES_URL")
TOKEN = "replica-token"
H = {"Authorization": f"Bearer {TOKEN}"}

pytestmark = pytest.mark.postgres


@pytest.fixture
def database():
    if not POSTGRES:
        pytest.skip("TACT_TEST_POSTGRES_URL is not set (.ci/run starts PostgreSQL and sets it)")
    name = f"tact_replicas_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    yield POSTGRES.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def test_three_replicas_start_together_and_share_one_library(database, tmp_path):
    started: dict[int, tuple] = {}
    errors: list[BaseException] = []

    def start(n: int) -> None:
        folder = tmp_path / f"replica{n}"
        folder.mkdir()
        try:
            started[n] = start_server(folder, TOKEN, grammar=False, env={"TACT_DATABASE_URL": database})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(400)
    try:
        assert errors == [] and len(started) == 3, errors
        urls = [started[n][1] for n in range(3)]
        counts = [httpx.get(f"{url}/api/v1/templates", headers=H, params={"limit": 1000}).json() for url in urls]
        assert [len(c) for c in counts] == [92, 92, 92]  # the starter library once, not three times
        created = httpx.post(f"{urls[0]}/api/v1/templates", headers=H, timeout=60, json={
            "title": "Replica kayak hours", "language": "en", "body": "Kayaks are rented from 9 to 5.",
            "triggers": ["when can I rent a kayak", "kayak rental hours", "is the kayak rental open on sunday"]}).json()
        for url in urls[1:]:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                found = httpx.post(f"{url}/api/v1/suggest", headers=H, json={"message": "what are the kayak rental hours?",
                                                                            "language": "en", "k": 1}).json()
                if found["suggestions"] and found["suggestions"][0]["template_id"] == created["id"]:
                    break
                time.sleep(0.5)
            assert found["suggestions"][0]["template_id"] == created["id"], url
    finally:
        for process, _ in started.values():
            process.terminate()
        for process, _ in started.values():
            process.wait(30)
