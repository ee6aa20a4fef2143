"""Several replicas on one PostgreSQL database, started at the same moment: migrations run once
(under an advisory lock), the starter library is imported once, and an edit on one replica reaches
the others' suggestions."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from bench.replica_bench import H, TOKEN, lag, top_suggestion, writers
from tests.servers import start_server

pytestmark = pytest.mark.postgres


@pytest.fixture
def database(postgres_database):
    return postgres_database


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


def test_writers_on_three_replicas_with_one_killed_lose_nothing(database, tmp_path):
    """4 writers spread over 3 replicas edit 6 shared templates; replica 2 is killed -9 after a
    third of the edits and started again. Every acknowledged edit is numbered (versions 1..N, none
    twice, none lost, none beyond what the kill cut off), and every replica — the restarted one
    included — suggests each template's final wording. (bench.replica_bench runs the same with
    1,000 edits.)"""
    started = _start_replicas(database, tmp_path)
    urls = [started[n][1] for n in range(3)]
    try:
        outcome = writers(urls, started, database, tmp_path, edits=150)
        assert outcome["acknowledged"] >= 150 and outcome["killed_at"] >= 50, outcome
        assert outcome["lost"] == 0 and outcome["misnumbered"] == 0 and outcome["phantom"] == 0, outcome
        assert outcome["not_suggested"] == 0, outcome
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
    try:
        lags = lag(urls, 20)  # an edit not seen within 30 s raises
        assert max(lags) <= 2.0, " ".join(f"{x:.2f}" for x in lags)  # p99 of 20 = the worst (in edit order)
    finally:
        for process, _ in started.values():
            process.terminate()
        for process, _ in started.values():
            process.wait(30)
