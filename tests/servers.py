"""`tact serve` as a real process for tests that need one (browser tests, kill -9, load)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path, token: str, *, grammar: bool = True, timeout: float = 240,
                 env: dict | None = None) -> tuple[subprocess.Popen, str]:
    """Start the service on a free port and wait until it answers (and, with ``grammar``, until
    LanguageTool is up). Returns (process, base URL)."""
    port = free_port()
    env = {**os.environ, "TACT_BOOTSTRAP_TOKEN": token, "TACT_LOG_LEVEL": "WARNING", **(env or {})}
    if not grammar:
        env["TACT_LANGUAGETOOL_DISABLED"] = "1"
    log = open(data_dir / "server.log", "ab")
    process = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--data-dir", str(data_dir), "--port", str(port)],
                               env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            health = httpx.get(f"{url}/health", timeout=2).json()
            if health["grammar"]["available"] or not grammar:
                return process, url
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        if process.poll() is not None:
            raise RuntimeError((data_dir / "server.log").read_text()[-3000:])
        time.sleep(0.5)
    process.kill()
    raise RuntimeError("the service did not become ready")
