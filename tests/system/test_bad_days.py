"""Bad days for a real `tact serve` process: kill -9 in the middle of concurrent edits, its
LanguageTool child, a neighbour sending the largest allowed draft."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest

from service.checks.languagetool import MAIN_CLASS, end_stale
from tests.servers import start_server

TOKEN = "bad-days-token"
H = {"Authorization": f"Bearer {TOKEN}"}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}/stat").exists() else "X"
    return state != "Z"


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("bad-days")


def test_kill_9_during_concurrent_edits_loses_no_acknowledged_write(data_dir):
    before_tmp = set(Path(tempfile.gettempdir()).glob("tact-languagetool-*.properties"))
    process, url = start_server(data_dir, TOKEN)
    lt_pid = int((data_dir / "languagetool.pid").read_text().split()[0])
    acknowledged: list[tuple[int, str]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n: int) -> None:
        with httpx.Client(base_url=url, headers=H, timeout=10) as client:
            i = 0
            while not stop.is_set():
                word = f"quokka{n}x{i}"
                try:
                    r = client.post("/api/v1/templates", json={
                        "title": f"Durable {word}", "language": "en", "body": f"Hello, about the {word}: all is well.",
                        "triggers": [f"what about my {word}", f"{word} question", f"tell me about {word}"]})
                except httpx.HTTPError:
                    return  # the server is gone
                if r.status_code == 201:
                    with lock:
                        acknowledged.append((r.json()["id"], word))
                i += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 12 and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)  # mid-write: four requests are in flight
    process.wait(10)
    stop.set()
    for t in threads:
        t.join(15)
    assert len(acknowledged) >= 8, "too few writes before the kill to mean anything"
    # LanguageTool dies with the service (parent-death signal): no 900 MB orphan
    assert _wait_gone(lt_pid, 10), "LanguageTool outlived the killed service"
    assert set(Path(tempfile.gettempdir()).glob("tact-languagetool-*.properties")) == before_tmp

    process, url = start_server(data_dir, TOKEN, grammar=False)
    try:
        with httpx.Client(base_url=url, headers=H, timeout=30) as client:
            for template_id, word in acknowledged:
                assert client.get(f"/api/v1/templates/{template_id}").status_code == 200, template_id
            # the search index agrees with the database after the restart
            for template_id, word in acknowledged[:: max(1, len(acknowledged) // 10)]:
                found = client.post("/api/v1/suggest", json={"message": f"tell me about {word}", "language": "en", "k": 3}).json()
                assert template_id in [s["template_id"] for s in found["suggestions"]], word
            versions = client.get(f"/api/v1/templates/{acknowledged[0][0]}/versions").json()
            assert [v["version"] for v in versions] == [1]
    finally:
        process.terminate()
        process.wait(30)


def test_a_stale_languagetool_from_this_data_dir_is_ended(tmp_path):
    # A process that looks like the LanguageTool server a dead service (pid 2**22 + 1, not running) left.
    fake = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", MAIN_CLASS], start_new_session=True)
    _wait_exec(fake.pid)
    try:
        pidfile = tmp_path / "languagetool.pid"
        pidfile.write_text(f"{fake.pid} {2**22 + 1}\n")
        assert end_stale(pidfile) == fake.pid
        assert fake.wait(10) is not None and not pidfile.exists()
        # one owned by a live service (this test process) is left alone
        other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", MAIN_CLASS], start_new_session=True)
        _wait_exec(other.pid)
        pidfile.write_text(f"{other.pid} {os.getppid()}\n")
        assert end_stale(pidfile) is None and other.poll() is None
        other.kill()
        # a reused pid that is not LanguageTool is never touched
        pidfile.write_text(f"{os.getpid()} {2**22 + 1}\n")
        assert end_stale(pidfile) is None
    finally:
        fake.kill()


def _wait_exec(pid: int) -> None:
    """Until the child has exec'd: before that its command line is still the parent's."""
    deadline = time.monotonic() + 10
    while MAIN_CLASS.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes() and time.monotonic() < deadline:
        time.sleep(0.05)


def _p99(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(0.99 * len(values)))]


def test_noisy_neighbour_does_not_stall_others(tmp_path):
    """One client sends the largest allowed draft again and again; another's /suggest and short
    /check stay fast: /suggest p99 under 1 s, short /check p99 under 3 s, /health under 1 s."""
    process, url = start_server(tmp_path, TOKEN)
    big = " ".join(f"Sentence number {i} of a very long draft that somebody pasted, with a tset here." for i in range(260))[:19_000]  # room for the per-round marks
    stop = threading.Event()
    noisy_done = []

    def noisy() -> None:
        with httpx.Client(base_url=url, headers=H, timeout=120) as client:
            while not stop.is_set():
                r = client.post("/api/v1/check", json={"text": big.replace("tset", f"tset{len(noisy_done)}"), "language": "en"})
                noisy_done.append(r.status_code)

    try:
        thread = threading.Thread(target=noisy)
        thread.start()
        time.sleep(1.0)
        suggest, check, health = [], [], []
        with httpx.Client(base_url=url, headers=H, timeout=60) as client:
            for i in range(40):
                t0 = time.perf_counter()
                r = client.post("/api/v1/suggest", json={"message": f"where is my order {i}?"})
                assert r.status_code == 200, r.text
                t1 = time.perf_counter()
                r = client.post("/api/v1/check", json={"text": f"Hello, your order {i} ships tomorow.", "language": "en"})
                t2 = time.perf_counter()
                assert r.status_code == 200
                assert client.get("/health").status_code == 200
                suggest.append(t1 - t0)
                check.append(t2 - t1)
                health.append(time.perf_counter() - t2)
        stop.set()
        thread.join(120)
        assert noisy_done and all(code == 200 for code in noisy_done)
        assert _p99(suggest) < 1.0, sorted(suggest)[-5:]
        assert _p99(check) < 3.0, sorted(check)[-5:]
        assert _p99(health) < 1.0, sorted(health)[-5:]
    finally:
        stop.set()
        process.terminate()
        process.wait(30)
