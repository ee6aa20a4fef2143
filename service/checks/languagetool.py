"""Self-hosted LanguageTool: a supervised Java child process on a free localhost port (or an
external server named in settings), queried with ``language-tool-python``.

Customer text never leaves this machine unless the operator points ``LANGUAGETOOL_URL`` elsewhere.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from service.core.settings import LanguageToolSettings

log = logging.getLogger("tact.languagetool")

# Without pipeline caching the server builds each language's rule pipeline per request: measured
# 190 ms fixed cost a Russian request and 30 ms an English one, against 15 and 8 ms with it.
# Its own limits too: no single request may keep it busy (a text of "a." × 25,000 took 10 minutes).
# We send at most ~1,500 characters a request (checks/grammar.py), so 20 s only ever stops a runaway;
# a cold server's first English request takes about 8 s.
SERVER_CONFIG = ("pipelineCaching=true\nmaxPipelinePoolSize=8\npipelineExpireTimeInSeconds=86400\n"
                 "maxTextLength=30000\nmaxCheckTimeMillis=20000\nmaxWorkQueueSize=64\n")


MAIN_CLASS = "org.languagetool.server.HTTPServer"
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the child gets SIGKILL when the thread that started it (the supervisor) ends, so a
    service killed with -9 leaves no LanguageTool behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def _alive_pid(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def end_stale(pidfile: Path) -> int | None:
    """A LanguageTool this data dir's earlier service started and did not end: end it.

    The pidfile names the server and the service that started it; only a server whose service is
    gone, and whose command line is really LanguageTool's, is ended."""
    try:
        server_pid, owner_pid = (int(x) for x in pidfile.read_text().split()[:2])
    except (OSError, ValueError):
        return None
    if _alive_pid(owner_pid) and owner_pid != os.getpid():
        return None  # another live service on the same data dir owns it
    try:
        cmdline = Path(f"/proc/{server_pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        cmdline = b""
    if MAIN_CLASS.encode() not in cmdline:
        pidfile.unlink(missing_ok=True)
        return None
    try:
        os.killpg(server_pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(server_pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for _ in range(50):
        if not _alive_pid(server_pid):
            break
        time.sleep(0.1)
    else:
        os.kill(server_pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)
    log.warning("ended a stale languagetool", extra={"pid": server_pid})
    return server_pid


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/v2/languages", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


class LanguageToolServer:
    """Starts the server, restarts it when it dies, and says whether it is up."""

    def __init__(self, settings: LanguageToolSettings, state_dir: Path | None = None) -> None:
        self._settings = settings
        # Where its properties and pid files live: the service's data dir (none left in /tmp).
        self._state_dir = Path(state_dir) if state_dir else Path(settings.home)
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self.url: str | None = settings.url
        self.restarts = 0
        self.last_error: str | None = None
        self.on_ready: list = []  # called (in the supervisor thread) each time it comes up

    @property
    def external(self) -> bool:
        return self._settings.url is not None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process and self._process.poll() is None else None

    def available(self) -> bool:
        return self._ready.is_set()

    def start(self) -> None:
        if not self._settings.enabled:
            self.last_error = "LanguageTool is switched off (TACT_LANGUAGETOOL_DISABLED)"
            return
        if not self.external:
            end_stale(self._pidfile)
        self._thread = threading.Thread(target=self._supervise, name="tact-languagetool", daemon=True)
        self._thread.start()

    def wait_ready(self, timeout: float) -> bool:
        return self._ready.wait(timeout)

    def responsive(self) -> bool:
        """Whether the server answers at all (a request can fail alone: too long, timed out)."""
        return bool(self.url) and _alive(self.url, timeout=1.0)

    def mark_down(self) -> None:
        """A request failed: serve without grammar until the supervisor sees it up again."""
        self._ready.clear()

    @property
    def _pidfile(self) -> Path:
        return self._state_dir / "languagetool.pid"

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            if self._process and self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
        if not self.external:
            self._pidfile.unlink(missing_ok=True)
            (self._state_dir / "languagetool.properties").unlink(missing_ok=True)

    # ------------------------------------------------------------------
    def _supervise(self) -> None:
        backoff = 1.0
        while not self._stopped.is_set():
            if self.external:
                up = _alive(self.url)
                self._set_ready(up)
                self._stopped.wait(5.0)
                continue
            if self._process is None or self._process.poll() is not None:
                if self._process is not None:
                    self.restarts += 1
                    log.warning("languagetool exited; restarting", extra={"code": self._process.returncode, "restarts": self.restarts})
                self._ready.clear()
                if not self._launch():
                    self._stopped.wait(backoff)
                    backoff = min(backoff * 2, 60)
                    continue
                backoff = 1.0
            elif not self._ready.is_set() and _alive(self.url):
                self._set_ready(True)
            self._stopped.wait(1.0)

    def _set_ready(self, up: bool) -> None:
        if up and not self._ready.is_set():
            log.info("languagetool ready", extra={"url": self.url})
            for hook in self.on_ready:
                try:
                    hook()
                except Exception:  # noqa: BLE001 - a warm-up only
                    log.exception("languagetool on-ready hook failed")
            self._ready.set()
        elif not up and self._ready.is_set():
            log.warning("languagetool unreachable", extra={"url": self.url})
            self._ready.clear()

    def _launch(self) -> bool:
        lib = Path(self._settings.home) / "lib"
        if not lib.is_dir() or not any(lib.glob("languagetool-server-*.jar")):
            self.last_error = f"LanguageTool jars not found in {lib}; run 'make setup'"
            log.error("languagetool missing", extra={"path": str(lib)})
            return False
        port = free_port()
        self._state_dir.mkdir(parents=True, exist_ok=True)
        config = self._state_dir / "languagetool.properties"
        config.write_text(SERVER_CONFIG)
        command = [self._settings.java, f"-Xmx{self._settings.heap}", "-cp", f"{lib}/*",
                   MAIN_CLASS, "--port", str(port), "--config", str(config)]
        log_path = Path(self._settings.home) / "server.log"
        with self._lock:
            if self._stopped.is_set():
                return False
            try:
                self._process = subprocess.Popen(command, stdout=open(log_path, "ab"), stderr=subprocess.STDOUT,
                                                 stdin=subprocess.DEVNULL, start_new_session=True,
                                                 preexec_fn=_die_with_parent)
                self._pidfile.write_text(f"{self._process.pid} {os.getpid()}\n")
            except OSError as exc:
                self.last_error = f"cannot start java: {exc}"
                log.error("languagetool start failed", extra={"error": str(exc)})
                return False
        self.url = f"http://127.0.0.1:{port}"
        log.info("languagetool starting", extra={"port": port, "pid": self._process.pid})
        deadline = time.monotonic() + self._settings.start_timeout
        while time.monotonic() < deadline and not self._stopped.is_set():
            if self._process.poll() is not None:
                self.last_error = f"LanguageTool exited with code {self._process.returncode} (see {log_path})"
                return True  # the loop notices the exit and restarts with backoff
            if _alive(self.url, timeout=1.0):
                self._set_ready(True)
                self.last_error = None
                return True
            time.sleep(0.3)
        self.last_error = "LanguageTool did not answer in time"
        return True


@dataclass
class GrammarMatch:
    offset: int  # Python string index
    length: int  # Python string length
    rule: str
    message: str
    replacements: list[str]
    issue_type: str
    category: str


def _py_index(text: str, utf16_offset: int) -> int:
    units = 0
    for i, ch in enumerate(text):
        if units >= utf16_offset:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(text)


class GrammarClient:
    """``language-tool-python`` clients, one a language, made when the server is first up."""

    def __init__(self, server: LanguageToolServer) -> None:
        self._server = server
        self._tools: dict[tuple[str, str], object] = {}
        self._lock = threading.Lock()  # its Match offsets use class-level state: one check at a time

    def _tool(self, lt_code: str):
        import language_tool_python

        key = (lt_code, self._server.url or "")
        if key not in self._tools:
            self._tools[key] = language_tool_python.LanguageTool(lt_code, remote_server=self._server.url)
        return self._tools[key]

    def check(self, text: str, lt_code: str, disabled_rules: set[str]) -> list[GrammarMatch]:
        """Matches for ``text`` in LanguageTool's language ``lt_code`` (``en-US``)."""
        with self._lock:
            tool = self._tool(lt_code)
            tool.disabled_rules = set(disabled_rules)
            matches = tool.check(text)
        out = []
        for m in matches:
            start = m.offset
            # the library fixes offsets for astral characters, not lengths: redo the end from UTF-16
            start16 = len(text[:start].encode("utf-16-le")) // 2
            end = _py_index(text, start16 + m.error_length) if m.error_length else start
            out.append(GrammarMatch(start, end - start, m.rule_id, m.message, list(m.replacements[:5]),
                                    getattr(m, "rule_issue_type", "") or "", getattr(m, "category", "") or ""))
        return out
