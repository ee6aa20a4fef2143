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


def _start_replicas(database, tmp_path, count: int = 3) -> dict[int, tuple]:
    started: dict[int, tuple] = {}
    errors: list[BaseException] = []

    def start(n: int) -> None:
        folder = tmp_path / f"replica{n}"
        folder.mkdir(exist_ok=True)
        try:
            started[n] = start_server(folder, TOKEN, grammar=False, env={"TACT_DATABASE_URL": database})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(400)
    assert errors == [] and len(started) == count, errors
    return started


def _top(url: str, message: str) -> int | None:
    found = httpx.post(f"{url}/api/v1/suggest", headers=H, timeout=30,
                       json={"message": message, "language": "en", "k": 1}).json()
    return found["suggestions"][0]["template_id"] if found["suggestions"] else None


def test_writers_on_three_replicas_with_one_killed_lose_nothing(database, tmp_path):
    """4 writers spread over 3 replicas edit 6 shared templates; replica 2 is killed -9 midway and
    started again. Every acknowledged edit is numbered (versions 1..N, none twice, none lost), and
    every replica — the restarted one included — suggests each template's final wording."""
    started = _start_replicas(database, tmp_path)
    urls = [started[n][1] for n in range(3)]
    try:
        ids = []
        for n in range(6):
            created = httpx.post(f"{urls[0]}/api/v1/templates", headers=H, timeout=60, json={
                "title": f"Shared {n}", "language": "en", "body": f"Shared answer {n}.",
                "triggers": [f"shared question number {n}"]}).json()
            ids.append(created["id"])
        acknowledged: dict[int, int] = {i: 0 for i in ids}
        uncertain: dict[int, int] = {i: 0 for i in ids}
        lock = threading.Lock()
        stop = threading.Event()
        counter = [0]

        def writer(w: int) -> None:
            while not stop.is_set():
                with lock:
                    counter[0] += 1
                    k = counter[0]
                template_id = ids[k % len(ids)]
                url = urls[k % 3]
                try:
                    response = httpx.put(f"{url}/api/v1/templates/{template_id}", headers=H, timeout=30,
                                           json={"body": f"Shared answer, edit {k} by writer {w}."})
                except httpx.HTTPError:
                    with lock:  # the killed replica: not acknowledged, maybe committed
                        uncertain[template_id] += 1
                    continue
                if response.status_code == 200:
                    with lock:
                        acknowledged[template_id] += 1

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(8)
        process, _ = started[2]
        process.kill()  # kill -9 midway
        process.wait(30)
        time.sleep(4)
        started[2] = start_server(tmp_path / "replica2", TOKEN, grammar=False, env={"TACT_DATABASE_URL": database})
        urls[2] = started[2][1]
        time.sleep(6)
        stop.set()
        for thread in threads:
            thread.join(60)
        assert sum(acknowledged.values()) >= 30, acknowledged
        for template_id in ids:
            versions = httpx.get(f"{urls[0]}/api/v1/templates/{template_id}/versions", headers=H).json()
            numbers = [v["version"] for v in versions]
            assert numbers == list(range(1, len(numbers) + 1)), numbers  # none twice, no gap
            # every acknowledged edit is there; beyond them only edits whose answer the kill cut off
            assert acknowledged[template_id] <= len(numbers) - 1 <= acknowledged[template_id] + uncertain[template_id]
        # the final wording of each template reaches every replica's index
        for n, template_id in enumerate(ids):
            final = httpx.put(f"{urls[n % 3]}/api/v1/templates/{template_id}", headers=H, timeout=30,
                                json={"triggers": [f"shared question number {n}", f"zebra crossing permit form {n}"]})
            assert final.status_code == 200
        deadline = time.monotonic() + 10
        missing = {(url, n) for url in urls for n in range(len(ids))}
        while missing and time.monotonic() < deadline:
            for url, n in sorted(missing):
                if _top(url, f"zebra crossing permit form {n}") == ids[n]:
                    missing.discard((url, n))
            time.sleep(0.2)
        assert not missing, missing
    finally:
        for process, _ in started.values():
            process.terminate()
        for process, _ in started.values():
            process.wait(30)


def test_replica_lag_is_under_two_seconds(database, tmp_path):
    """An edit on one replica is suggested by the others within 2 s (p99 over 20 edits): the
    change log is pushed by NOTIFY, not found by a polling round."""
    started = _start_replicas(database, tmp_path)
    urls = [started[n][1] for n in range(3)]
    lags: list[float] = []
    try:
        for n in range(20):
            source, target = urls[n % 3], urls[(n + 1) % 3]
            created = httpx.post(f"{source}/api/v1/templates", headers=H, timeout=60, json={
                "title": f"Lag probe {n}", "language": "en", "body": f"Probe {n}.",
                "triggers": [f"quokka lantern festival ticket {n}", f"quokka lantern ticket number {n}"]}).json()
            began = time.monotonic()
            while _top(target, f"quokka lantern festival ticket {n}") != created["id"]:
                assert time.monotonic() - began < 10, f"edit {n} not seen after 10 s"
                time.sleep(0.02)
            lags.append(time.monotonic() - began)
        assert max(lags) <= 2.0, " ".join(f"{x:.2f}" for x in lags)  # p99 of 20 = the worst (in edit order)
    finally:
        for process, _ in started.values():
            process.terminate()
        for process, _ in started.values():
            process.wait(30)
