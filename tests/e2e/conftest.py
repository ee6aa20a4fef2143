"""Browser end-to-end fixtures: the real service in a subprocess, Debian Chromium driven by
Playwright with the unpacked extension loaded, fixture mail pages served under the real hosts."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.servers import ROOT, start_server

EXTENSION = ROOT / "extension"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CHROMIUM = os.environ.get("TACT_CHROMIUM", "/usr/bin/chromium")
E2E_TOKEN = "e2e-admin-token"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """`tact serve` on a fresh data dir: starter library, real models, real LanguageTool."""
    data_dir = tmp_path_factory.mktemp("e2e-data")
    process, url = start_server(data_dir, E2E_TOKEN)
    yield {"url": url, "token": E2E_TOKEN, "data_dir": data_dir}
    process.terminate()
    process.wait(30)


@pytest.fixture(scope="session")
def playwright_instance():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: 'make test' installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture
def browser(playwright_instance):
    """A Chromium with the unpacked extension, as an agent has it (Briskine-style fixture)."""
    profile = tempfile.mkdtemp(prefix="tact-chromium-")
    context = playwright_instance.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, headless=True, viewport={"width": 1280, "height": 860},
        args=[f"--disable-extensions-except={EXTENSION}", f"--load-extension={EXTENSION}", "--no-sandbox",
              "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync"])
    for host, fixture in (("https://mail.google.com/**", "gmail.html"), ("https://outlook.office.com/**", "outlook.html")):
        context.route(host, _serve(FIXTURES / fixture))
    worker = context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker")
    yield context, worker
    context.close()
    shutil.rmtree(profile, ignore_errors=True)


def _serve(path: Path):
    body = path.read_text(encoding="utf-8")

    def handler(route, request) -> None:
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=body)

    return handler


def configure(worker, **settings) -> None:
    worker.evaluate("s => chrome.storage.local.set(s)", settings)


@pytest.fixture
def agent(browser, server):
    """The extension set up against the running service, as the options page would leave it."""
    context, worker = browser
    configure(worker, serverUrl=server["url"], token=server["token"], agentName="Sam", agentSignature="Sam, Acme support",
              companyName="Acme", agentEmail="agent@acme.example")
    return context, worker
