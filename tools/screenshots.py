"""`make screenshots`: README pictures of the extension (Gmail and Outlook fixtures) and the
leads' UI, taken with headless Debian Chromium against a real service."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.e2e import pages  # noqa: E402
from tests.e2e.conftest import CHROMIUM, EXTENSION, FIXTURES, _serve_pages  # noqa: E402
from tests.servers import start_server  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
TOKEN = "screenshot-token"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def main() -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="tact-shots-"))
    server, url = start_server(data_dir, TOKEN)
    try:
        subprocess.run([sys.executable, "-m", "service.cli", "user", "add", "--data-dir", str(data_dir), "--email", "lena@acme.example",
                        "--name", "Lena", "--role", "admin", "--password", "screenshots-1"], check=True, cwd=ROOT, capture_output=True)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        for message in ["I was charged twice", "Where is my order?", "I forgot my password", "Refund please", "Where is my order??",
                        "Do you sell gift cards?", "Can I buy a gift card for my mum?", "Gift vouchers available?"]:
            s = httpx.post(f"{url}/api/v1/suggest", headers=headers, json={"message": message, "language": "en"}).json()
            for n, item in enumerate(s["suggestions"]):
                httpx.post(f"{url}/api/v1/feedback", headers=headers, json={"suggestion_id": s["suggestion_id"], "template_id": item["template_id"], "action": "shown"})
                if n == 0 and not s["no_match"]:
                    httpx.post(f"{url}/api/v1/feedback", headers=headers, json={"suggestion_id": s["suggestion_id"], "template_id": item["template_id"], "action": "inserted"})
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                tempfile.mkdtemp(), executable_path=CHROMIUM, headless=True, viewport={"width": 1280, "height": 760},
                args=[f"--disable-extensions-except={EXTENSION}", f"--load-extension={EXTENSION}", *ARGS])
            context.route("https://mail.google.com/**", _serve_pages(FIXTURES / "gmail.html", thread=pages.gmail))
            context.route("https://outlook.office.com/**", _serve_pages(FIXTURES / "outlook.html", thread=pages.outlook))
            worker = context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker")
            worker.evaluate("s => chrome.storage.local.set(s)", {"serverUrl": url, "token": TOKEN, "agentName": "Sam",
                                                                   "agentSignature": "Sam, Acme support"})
            threads = (("gmail", "https://mail.google.com/mail/u/0/?fixture=thread&lang=en#inbox/1",
                        '[data-compose="inline"] [g_editable="true"]', "Hi Dana,"),
                       ("outlook", "https://outlook.office.com/mail/inbox/id/1?fixture=thread&lang=ru&newest=last",
                        '[data-compose="reply"] [role="textbox"]', "Здравствуйте, Мария!"))
            for name, address, editor, greeting in threads:
                page = context.new_page()
                page.goto(address)
                page.wait_for_selector("html[data-tact-adapter]")
                page.locator(editor).click(position={"x": 30, "y": 14} if name == "outlook" else None)
                page.keyboard.type(greeting)
                page.keyboard.press("Control+Shift+Space")
                page.locator("#tact-root >> li[role=option]").first.wait_for(timeout=20000)
                page.keyboard.press("ArrowDown")
                page.screenshot(path=str(OUT / f"extension-{name}.png"))
                page.close()
            page = context.new_page()
            page.goto("https://mail.google.com/mail/u/0/?fixture=thread&lang=en#inbox/1")
            page.wait_for_selector("html[data-tact-adapter]")
            page.locator('[data-compose="inline"] [g_editable="true"]').click()
            page.keyboard.type("Hello Dana, as I already said, this was your fault. Your card 4111 1111 1111 1111 is fine. Best regards")
            page.locator("#tact-root >> .badge").wait_for(state="visible", timeout=20000)
            page.wait_for_timeout(500)
            page.locator("#tact-root >> .badge").click()
            page.wait_for_timeout(300)
            page.screenshot(path=str(OUT / "extension-check.png"))
            context.close()

            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{url}/ui/login")
            page.fill("#email", "lena@acme.example")
            page.fill("#password", "screenshots-1")
            page.click("button[type=submit]")
            page.wait_for_url("**/ui/templates")
            page.goto(f"{url}/ui/templates?q=customer+was+charged+twice&mode=semantic")
            page.screenshot(path=str(OUT / "ui-templates.png"))
            page.click("#template-list tr td a >> nth=0")
            page.wait_for_function("document.getElementById('preview').textContent.length > 0")
            page.wait_for_timeout(800)
            page.screenshot(path=str(OUT / "ui-editor.png"))
            page.goto(f"{url}/ui/analytics")
            page.screenshot(path=str(OUT / "ui-analytics.png"))
            page.goto(f"{url}/ui/gaps")
            page.screenshot(path=str(OUT / "ui-gaps.png"))
            browser.close()
    finally:
        server.terminate()
        server.wait(30)
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
