"""Replicas (issue 12): three replicas on one PostgreSQL — replica lag over 100 edits, and 4 writers
× 3 replicas × 1,000+ acknowledged edits with one replica killed (-9) and restarted midway: no
acknowledged edit lost, no version numbered twice, every replica suggesting each final wording.

Needs a PostgreSQL server it may create databases on: ``TACT_BENCH_POSTGRES_URL`` (or
``TACT_TEST_POSTGRES_URL``, which ``.ci/run`` sets); without one it says so and writes nothing.

    python -m bench.replica_bench [--lag-edits 100] [--edits 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import sqlalchemy as sa

from bench.report import put_section
from bench.suggest_bench import percentile
from tests.servers import start_server

SECTION = "## Replicas"
TOKEN = "replica-bench-token"
H = {"Authorization": f"Bearer {TOKEN}"}


def top_suggestion(url: str, message: str) -> int | None:
    response = httpx.post(f"{url}/api/v1/suggest", headers=H, timeout=30, json={"message": message, "language": "en", "k": 1})
    hits = response.json().get("suggestions") or []
    return hits[0]["template_id"] if hits else None


def lag(urls: list[str], edits: int) -> list[float]:
    """Create a template on one replica; seconds until the next replica suggests it first."""
    lags = []
    for n in range(edits):
        source, target = urls[n % 3], urls[(n + 1) % 3]
        created = httpx.post(f"{source}/api/v1/templates", headers=H, timeout=60, json={
            "title": f"Lag probe {n}", "language": "en", "body": f"Probe {n}.",
            "triggers": [f"wombat harbour ferry pass {n}", f"wombat ferry pass number {n}"]}).json()
        began = time.monotonic()
        while top_suggestion(target, f"wombat harbour ferry pass {n}") != created["id"]:
            if time.monotonic() - began > 30:
                raise RuntimeError(f"edit {n} not seen after 30 s")
            time.sleep(0.02)
        lags.append(time.monotonic() - began)
    return lags


def writers(urls: list[str], started: dict, database: str, folder: Path, edits: int) -> dict:
    """4 writers edit 6 shared templates through the 3 replicas until ``edits`` are acknowledged;
    replica 2 is killed (-9) at a third of them and started again."""
    ids = []
    for n in range(6):
        ids.append(httpx.post(f"{urls[0]}/api/v1/templates", headers=H, timeout=60, json={
            "title": f"Shared {n}", "language": "en", "body": f"Shared answer {n}.",
            "triggers": [f"shared question number {n}"]}).json()["id"])
    acknowledged = {i: 0 for i in ids}
    uncertain = {i: 0 for i in ids}
    lock, stop, counter = threading.Lock(), threading.Event(), [0]

    def writer(w: int) -> None:
        while not stop.is_set():
            with lock:
                counter[0] += 1
                k = counter[0]
            template_id, url = ids[k % len(ids)], urls[k % 3]
            try:
                response = httpx.put(f"{url}/api/v1/templates/{template_id}", headers=H, timeout=30,
                                     json={"body": f"Shared answer, edit {k} by writer {w}."})
            except httpx.HTTPError:
                with lock:  # the killed replica: not acknowledged, maybe committed
                    uncertain[template_id] += 1
                continue
            with lock:
                if response.status_code == 200:
                    acknowledged[template_id] += 1
                elif response.status_code >= 500:
                    uncertain[template_id] += 1

    began = time.monotonic()
    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    while sum(acknowledged.values()) < edits // 3:
        time.sleep(0.1)
    process, _ = started[2]
    process.kill()
    process.wait(30)
    killed_at = sum(acknowledged.values())
    (folder / "replica2-again").mkdir(exist_ok=True)
    started[2] = start_server(folder / "replica2-again", TOKEN, grammar=False, env={"TACT_DATABASE_URL": database})
    urls[2] = started[2][1]
    while sum(acknowledged.values()) < edits:
        time.sleep(0.1)
    stop.set()
    for thread in threads:
        thread.join(60)
    seconds = time.monotonic() - began
    lost = misnumbered = phantom = 0
    for template_id in ids:
        numbers = [v["version"] for v in httpx.get(f"{urls[0]}/api/v1/templates/{template_id}/versions",
                                                   headers=H, timeout=60).json()]
        misnumbered += numbers != list(range(1, len(numbers) + 1))
        lost += max(0, acknowledged[template_id] - (len(numbers) - 1))
        # beyond the acknowledged edits, only those whose answer the kill cut off may be there
        phantom += max(0, (len(numbers) - 1) - acknowledged[template_id] - uncertain[template_id])
    for n, template_id in enumerate(ids):
        httpx.put(f"{urls[n % 3]}/api/v1/templates/{template_id}", headers=H, timeout=30,
                  json={"triggers": [f"shared question number {n}", f"platypus canoe licence form {n}"]}).raise_for_status()
    deadline = time.monotonic() + 10
    missing = {(url, n) for url in urls for n in range(len(ids))}
    while missing and time.monotonic() < deadline:
        for url, n in sorted(missing):
            if top_suggestion(url, f"platypus canoe licence form {n}") == ids[n]:
                missing.discard((url, n))
        time.sleep(0.2)
    return {"acknowledged": sum(acknowledged.values()), "uncertain": sum(uncertain.values()), "killed_at": killed_at,
            "seconds": seconds, "lost": lost, "misnumbered": misnumbered, "phantom": phantom,
            "not_suggested": len(missing)}


def run(server_url: str, lag_edits: int, edits: int) -> list[str]:
    name = f"tact_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    database = server_url.rsplit("/", 1)[0] + "/" + name
    folder = Path(tempfile.mkdtemp(prefix="tact-replicas-"))
    started: dict = {}
    try:
        for n in range(3):
            (folder / f"replica{n}").mkdir()
        threads = [threading.Thread(target=lambda n=n: started.__setitem__(n, start_server(
            folder / f"replica{n}", TOKEN, grammar=False, env={"TACT_DATABASE_URL": database}))) for n in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        urls = [started[n][1] for n in range(3)]
        print("replica lag …", flush=True)
        lags = lag(urls, lag_edits)
        print("  p50", statistics.median(lags), "p99", percentile(lags, 99), flush=True)
        print("writers …", flush=True)
        w = writers(urls, started, database, folder, edits)
        print(" ", w, flush=True)
    finally:
        for process, _ in started.values():
            process.terminate()
        for process, _ in started.values():
            process.wait(30)
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
    return [f"{SECTION}: three replicas on one PostgreSQL (issue 12)", "",
            f"`python -m bench.replica_bench` ({time.strftime('%Y-%m-%d %H:%M')}); three `tact serve` processes on one "
            "database, LanguageTool off.", "",
            f"- **Replica lag** over {len(lags)} edits (a template created on one replica, until the next one suggests it "
            f"first): p50 **{statistics.median(lags):.2f} s**, p99 **{percentile(lags, 99):.2f} s**, worst "
            f"{max(lags):.2f} s (target p99 ≤ 2 s).",
            f"- **4 writers × 3 replicas**, 6 shared templates: {w['acknowledged']:,} edits acknowledged in "
            f"{w['seconds']:.0f} s, replica 2 killed (-9) after {w['killed_at']:,} and started again "
            f"({w['uncertain']} edits cut off by the kill, not acknowledged). Lost acknowledged edits: "
            f"**{w['lost']}**; templates with a version numbered twice or skipped: **{w['misnumbered']}**; "
            f"final wordings not suggested by every replica within 10 s: **{w['not_suggested']}** of 18.", ""]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lag-edits", type=int, default=100)
    parser.add_argument("--edits", type=int, default=1000)
    args = parser.parse_args()
    server = os.environ.get("TACT_BENCH_POSTGRES_URL") or os.environ.get("TACT_TEST_POSTGRES_URL")
    if not server:
        print("replica bench skipped: set TACT_BENCH_POSTGRES_URL to a PostgreSQL server it may create databases on")
        return
    lines = run(server, args.lag_edits, args.edits)
    print("\n".join(lines))
    put_section(SECTION, lines)


if __name__ == "__main__":
    main()
