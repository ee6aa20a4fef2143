"""Browser end-to-end fixtures: the real service in a subprocess, Debian Chromium driven by
Playwright with the unpacked extension loaded, fixture mail pages served under the real hosts."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e import pages
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


def _launch(playwright_instance, extension: Path):
    profile = tempfile.mkdtemp(prefix="tact-chromium-")
    context = playwright_instance.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, headless=True, viewport={"width": 1280, "height": 860},
        args=[f"--disable-extensions-except={extension}", f"--load-extension={extension}", "--no-sandbox",
              "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync"])
    context.route("https://mail.google.com/**", _serve_pages(FIXTURES / "gmail.html", thread=pages.gmail))
    context.route("https://outlook.office.com/**", _serve_pages(FIXTURES / "outlook.html", thread=pages.outlook))
    context.route("https://support.example.com/**", _serve_pages(FIXTURES / "helpdesk.html"))
    worker = context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker")
    return context, worker, profile


@pytest.fixture
def browser(playwright_instance):
    """A Chromium with the unpacked extension, as an agent has it (Briskine-style fixture)."""
    context, worker, profile = _launch(playwright_instance, EXTENSION)
    yield context, worker
    context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def desk_browser(playwright_instance, tmp_path):
    """The extension as it is once the agent has accepted the browser's prompt for the help desk
    (headless Chromium shows the prompt where no test can click it): the same files, with the
    help desk's origin among the granted hosts. The popup's request then resolves at once and the
    rest of the flow (store the site, register, start in the open tab) runs for real."""
    copy = tmp_path / "extension"
    shutil.copytree(EXTENSION, copy, ignore=shutil.ignore_patterns("node_modules", "test"))
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["host_permissions"].append("https://support.example.com/*")
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    context, worker, profile = _launch(playwright_instance, copy)
    yield context, worker
    context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def desk_agent(desk_browser, server):
    context, worker = desk_browser
    configure(worker, serverUrl=server["url"], token=server["token"], agentName="Sam", agentSignature="Sam, Acme support",
              companyName="Acme", agentEmail="agent@acme.example")
    return context, worker


def _serve_pages(path: Path, thread=None):
    """The site's simple page, or with ?fixture=thread the real-shaped thread (pages.py), in
    ?lang=en|ru and, for Outlook, ?newest=first|last."""
    body = path.read_text(encoding="utf-8")

    def handler(route, request) -> None:
        query = parse_qs(urlsplit(request.url).query)
        page = body
        if thread is not None and query.get("fixture") == ["thread"]:
            options = {"lang": query.get("lang", ["en"])[0]}
            if "newest" in query:
                options["newest"] = query["newest"][0]
            page = thread(**options)
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=page)

    return handler


def open_page(context, url):
    """A new tab on ``url``, once the extension has picked its adapter there."""
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("html[data-tact-adapter]", timeout=15000)
    return page


def configure(worker, **settings) -> None:
    worker.evaluate("s => chrome.storage.local.set(s)", settings)


@pytest.fixture
def agent(browser, server):
    """The extension set up against the running service, as the options page would leave it."""
    context, worker = browser
    configure(worker, serverUrl=server["url"], token=server["token"], agentName="Sam", agentSignature="Sam, Acme support",
              companyName="Acme", agentEmail="agent@acme.example")
    return context, worker
