"""The extension on real-shaped pages (tests/e2e/pages.py, fixtures/*-thread.html, helpdesk.html):
Gmail and Outlook threads with an inline reply and a pop-out open at once, the agent's own earlier
reply, quoted history, a Russian UI; a help desk with textareas, a form and a framework editor.
Real service, real LanguageTool, Debian Chromium with the unpacked extension."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import configure, open_page

pytestmark = pytest.mark.e2e
GMAIL = "https://mail.google.com/mail/u/0/?fixture=thread&lang={lang}#inbox/FMfcgzQX"
OUTLOOK = "https://outlook.office.com/mail/inbox/id/AAQkAGI2?fixture=thread&lang={lang}&newest={newest}"
DESK = "https://support.example.com/agent/tickets/4812"
INLINE = '[data-compose="inline"] [g_editable="true"]'
POPOUT = '[data-compose="popout"] [g_editable="true"]'
OUT_REPLY = '[data-compose="reply"] [role="textbox"]'
OUT_NEW = '[data-compose="new"] [role="textbox"]'
CARD = "4111 1111 1111 1111"


@pytest.fixture(autouse=True)
def trained(server):
    """These tests check the steady-state ranking of real-shaped threads. Earlier browser tests
    import and edit templates; until the classifiers have retrained on that (longer with mpnet),
    suggestions come from the candidate re-ranker, which ranks a few points below the classifier
    (README, Known limits) and gives no confidence — so wait for them, as the benchmark's probe
    does. (The re-ranker reads messages sentence by sentence too: tests/unit/test_sentences.py.)"""
    import time

    import httpx

    deadline = time.monotonic() + 120
    while True:
        indexes = httpx.get(f"{server['url']}/health", timeout=10).json().get("indexes", {})
        if indexes and all(i.get("classifier") for i in indexes.values()):
            return
        assert time.monotonic() < deadline, f"classifiers still retraining: {indexes}"
        time.sleep(0.5)


def draft(context, url: str, editor: str, text: str):
    """The page with ``text`` typed into ``editor``."""
    page = open_page(context, url)
    page.locator(editor).click()
    page.keyboard.type(text)
    return page


def suggestions(page) -> list[str]:
    page.locator("#tact-root >> li[role=option]").first.wait_for(timeout=20000)
    return page.locator("#tact-root >> li[role=option] .title > span:first-child").all_inner_texts()


def text_of(page, selector) -> str:
    return page.locator(selector).inner_text()


def sent(page, compose: str | None = None, timeout=20000):
    selector = ".sent-item" + (f'[data-compose="{compose}"]' if compose else "")
    page.locator(selector).first.wait_for(timeout=timeout)
    return page.locator(selector).first.inner_text()


def no_overlap(a: dict, b: dict) -> bool:
    return (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
            or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def assert_panel_clear_of(page, editor_selector):
    panel = page.locator("#tact-root >> section.panel")
    panel.wait_for(state="visible")
    box, editor = panel.bounding_box(), page.locator(editor_selector).bounding_box()
    assert box["width"] >= 200 and no_overlap(box, editor), (box, editor)


# ------------------------------------------------------------------ Gmail

def test_gmail_reply_goes_in_at_the_caret_of_the_inline_reply(agent):
    context, _ = agent
    page = draft(context, GMAIL.format(lang="en"), INLINE, "Hi Dana,")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.type("Best regards, Sam")
    page.keyboard.press("ArrowUp")  # the empty line between greeting and signature
    page.keyboard.press("Control+Shift+Space")
    titles = suggestions(page)
    # the customer's last message (a double charge), not the thread's subject (login) nor the
    # agent's own reply about passwords
    assert titles[0] == "Billing error corrected", titles
    assert_panel_clear_of(page, INLINE)
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelector('{INLINE}').innerText.includes('Dana')"
                           f" && document.querySelector('{INLINE}').innerText.length > 60")
    inline = text_of(page, INLINE)
    assert inline.startswith("Hi Dana,") and inline.rstrip().endswith("Best regards, Sam"), inline
    assert inline.index("Hi Dana,") < inline.index("Hello Dana") < inline.index("Best regards, Sam"), inline
    assert text_of(page, POPOUT) == "Hello team,"  # the other compose is untouched


def test_gmail_popout_panel_and_shortcut_stay_in_the_popout(agent):
    context, _ = agent
    page = draft(context, GMAIL.format(lang="en"), INLINE, "Hi Dana,")
    popout = page.locator(POPOUT)
    popout.click()
    page.keyboard.press("End")
    page.keyboard.type(" ;;refund")
    page.keyboard.press("Tab")
    page.wait_for_function(f"document.querySelector('{POPOUT}').innerText.includes('approved your refund')", timeout=15000)
    assert text_of(page, INLINE) == "Hi Dana,"
    assert text_of(page, POPOUT).startswith("Hello team,")
    page.keyboard.press("Control+Shift+Space")
    suggestions(page)
    assert_panel_clear_of(page, POPOUT)


def test_gmail_send_button_press_is_guarded_on_the_compose_it_belongs_to(agent):
    context, _ = agent
    page = draft(context, GMAIL.format(lang="en"), INLINE, f"Hi Dana, your card {CARD} was refunded. Best regards, Sam")
    send = page.locator('[data-compose="inline"] div[role=button].aoO')
    send.click()  # Gmail sends on mousedown + mouseup
    dialog = page.locator("#tact-root >> .dialog .box")
    dialog.wait_for(timeout=20000)
    assert "card number" in dialog.inner_text()
    page.locator("#tact-root >> .dialog button:not(.danger)").click()
    page.wait_for_timeout(300)
    assert page.locator(".sent-item").count() == 0 and CARD in text_of(page, INLINE)
    send.click()
    page.locator("#tact-root >> .dialog button.danger").click()
    assert CARD in sent(page, "inline")
    assert page.locator(".sent-item").count() == 1 and text_of(page, POPOUT) == "Hello team,"


def test_gmail_ctrl_enter_in_the_popout_is_guarded(agent):
    context, _ = agent
    page = open_page(context, GMAIL.format(lang="en"))
    page.locator(POPOUT).click()
    page.keyboard.press("End")
    page.keyboard.type(f" The admin password is hunter2 and the card is {CARD}.")
    page.keyboard.press("Control+Enter")
    page.locator("#tact-root >> .dialog .box").wait_for(timeout=20000)
    page.locator("#tact-root >> .dialog button.danger").click()
    assert CARD in sent(page, "popout")
    assert page.locator('.sent-item[data-compose="inline"]').count() == 0


def test_gmail_clean_draft_is_sent_by_a_press_once(agent):
    context, _ = agent
    page = draft(context, GMAIL.format(lang="en"), INLINE, "Hi Dana, the second payment is refunded. Best regards, Sam")
    page.locator('[data-compose="inline"] div[role=button].aoO').click()
    assert "refunded" in sent(page, "inline")
    page.wait_for_timeout(500)
    assert page.locator(".sent-item").count() == 1
    assert page.locator("#tact-root >> .dialog .box").count() == 0


def test_gmail_russian_thread_gets_russian_replies_and_russian_advice(agent):
    context, _ = agent
    page = open_page(context, GMAIL.format(lang="ru"))
    page.locator(INLINE).click()
    page.keyboard.press("Control+Shift+Space")
    titles = suggestions(page)
    assert titles[0] == "Ошибка в списании исправлена", titles
    page.keyboard.press("Escape")
    page.locator(INLINE).click()
    page.keyboard.type("Как я уже говорил, это ваша вина. Надо было читать инструкцию.")
    badge = page.locator("#tact-root >> .badge")
    badge.wait_for(state="visible", timeout=20000)
    badge.click()
    issues = page.locator("#tact-root >> .view-check .issue")
    issues.first.wait_for(timeout=10000)
    texts = issues.all_inner_texts()
    assert texts and all(re.search("[а-яё]", t, re.I) for t in texts), texts
    assert not any(re.search(r"\b(Hello|Please|consider|customer)\b", t) for t in texts), texts
    assert_panel_clear_of(page, INLINE)


def test_agent_own_name_and_signature_are_not_flagged(agent):
    context, worker = agent
    configure(worker, agentName="Sam Kowalczyk", agentSignature="Sam Kowalczyk\nAcme Brightdesk support")
    page = draft(context, GMAIL.format(lang="en"), INLINE, "Hi Dana, the second payment is refunded, this is a tset. Thank you for your patience.")
    page.keyboard.press("Enter")
    page.keyboard.type("Sam Kowalczyk")
    page.keyboard.press("Enter")
    page.keyboard.type("Acme Brightdesk support")
    page.locator("#tact-root >> .badge").wait_for(state="visible", timeout=20000)
    page.locator("#tact-root >> .badge").click()
    rows = page.locator("#tact-root >> .view-check .issue")
    rows.first.wait_for(timeout=10000)
    spelling = [r for r in rows.all_inner_texts() if r.lower().startswith("spelling")]
    assert len(spelling) == 1 and "test" in spelling[0], spelling  # "tset" only, not the agent's names


def test_fix_applies_to_the_box_that_was_checked(agent):
    context, _ = agent
    page = draft(context, GMAIL.format(lang="en"), INLINE, "Thank you for your patience, this is a tset of our reply.")
    page.locator("#tact-root >> .badge").wait_for(state="visible", timeout=20000)
    page.locator(POPOUT).click()  # the agent looks at the other draft meanwhile
    page.locator("#tact-root >> .badge").click()
    fix = page.locator('#tact-root >> .issue >> button:text-is("test")').first
    fix.wait_for(timeout=20000)
    fix.click()
    page.wait_for_function(f"document.querySelector('{INLINE}').innerText.includes('a test of our reply')", timeout=10000)
    assert text_of(page, POPOUT) == "Hello team,"


# ------------------------------------------------------------------ Outlook

@pytest.mark.parametrize("newest", ["first", "last"])
def test_outlook_reads_the_customer_last_message_in_either_order(agent, newest):
    context, _ = agent
    page = open_page(context, OUTLOOK.format(lang="en", newest=newest))
    assert page.evaluate("document.documentElement.dataset.tactAdapter") == "outlook"
    page.locator(OUT_REPLY).click(position={"x": 20, "y": 12})
    page.keyboard.type("Hi Dana,")
    page.keyboard.press("Control+Shift+Space")
    titles = suggestions(page)
    assert titles[0] == "Billing error corrected", titles
    assert_panel_clear_of(page, OUT_REPLY)
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelector('{OUT_REPLY}').innerText.includes('Hello Dana')", timeout=10000)
    reply = text_of(page, OUT_REPLY)
    # at the caret, after the agent's greeting, above the quoted history
    assert reply.index("Hi Dana,") < reply.index("Hello Dana") < reply.index("Sent:"), reply
    assert text_of(page, OUT_NEW) == "Hi Chris, the quarterly report is attached."


def test_outlook_send_click_and_ctrl_enter_are_guarded(agent):
    context, _ = agent
    page = open_page(context, OUTLOOK.format(lang="en", newest="first"))
    page.locator(OUT_REPLY).click(position={"x": 20, "y": 12})
    page.keyboard.type(f"Hi Dana, card {CARD} refunded.")
    page.locator('[data-compose="reply"] button[aria-label="Send"]').click()
    page.locator("#tact-root >> .dialog .box").wait_for(timeout=20000)
    page.locator("#tact-root >> .dialog button:not(.danger)").click()
    assert page.locator(".sent-item").count() == 0
    page.locator(OUT_NEW).click()
    page.keyboard.press("End")
    page.keyboard.type(f" The card on file is {CARD}.")
    page.keyboard.press("Control+Enter")
    page.locator("#tact-root >> .dialog .box").wait_for(timeout=20000)
    page.locator("#tact-root >> .dialog button.danger").click()
    assert "quarterly report" in sent(page, "new")
    assert page.locator('.sent-item[data-compose="reply"]').count() == 0
    assert CARD in text_of(page, OUT_REPLY)


def test_outlook_russian_ui(agent):
    context, _ = agent
    page = open_page(context, OUTLOOK.format(lang="ru", newest="last"))
    page.locator(OUT_REPLY).click(position={"x": 20, "y": 12})
    page.keyboard.press("Control+Shift+Space")
    titles = suggestions(page)
    assert titles[0] == "Ошибка в списании исправлена", titles
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelector('{OUT_REPLY}').innerText.includes('Мария')", timeout=10000)
    page.locator(OUT_REPLY).press("Control+Enter")
    assert "Мария" in sent(page, "reply")


# ------------------------------------------------------------------ help desk (generic adapter)

def enable_desk_from_popup(context, worker):
    """The agent switches Tact on for the help desk from the extension's popup: a real click, the
    permission prompt accepted, Tact starts in the open tab without a reload."""
    extension_id = worker.url.split("/")[2]
    desk = context.new_page()
    desk.goto(DESK)
    assert desk.evaluate("document.documentElement.dataset.tactAdapter") is None
    popup = context.new_page()
    popup.goto(f"chrome-extension://{extension_id}/popup.html?origin=https://support.example.com")
    popup.locator("#enable").click()
    popup.locator("#state", has_text="works on this site").wait_for(timeout=15000)
    popup.close()
    desk.wait_for_selector("html[data-tact-adapter=generic]", timeout=15000)
    return desk


def test_popup_asks_for_the_site_inside_the_click(browser):
    """With the real manifest the browser shows its prompt: the request is made inside the agent's
    click (outside a gesture Chromium refuses it at once and the popup shows the error)."""
    context, worker = browser
    extension_id = worker.url.split("/")[2]
    popup = context.new_page()
    popup.goto(f"chrome-extension://{extension_id}/popup.html?origin=https://support.example.com")
    popup.locator("#state", has_text="off on this site").wait_for(timeout=10000)
    popup.locator("#enable").click()  # a real click: the prompt is up, nothing refused
    popup.wait_for_timeout(1500)
    assert popup.locator("#state.error").count() == 0


def test_helpdesk_end_to_end(desk_agent):
    context, worker = desk_agent
    configure(worker, siteSelectors={"https://support.example.com": {"message": ".conversation .zd-comment", "name": ".requester-name"}})
    page = enable_desk_from_popup(context, worker)
    box = page.locator("#comment_body")
    box.click()
    page.keyboard.type("Hi Ann,\n\nBest, Sam")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("End")  # the empty line
    page.keyboard.press("Control+Shift+Space")
    titles = suggestions(page)
    assert any(t in titles[:2] for t in ("Wrong item received", "Wrong item")), titles
    assert_panel_clear_of(page, "#comment_body")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#comment_body').value.length > 40", timeout=10000)
    value = box.input_value()
    assert value.startswith("Hi Ann,\n") and value.endswith("Best, Sam") and "Ann" in value[8:], value
    assert page.locator("#internal_note").input_value() == ""


def test_helpdesk_selection_textarea_underlines_and_send_guard(desk_agent):
    context, worker = desk_agent
    page = enable_desk_from_popup(context, worker)
    page.locator("#last-comment").click(click_count=3)  # the agent selects the customer's message
    page.locator("#comment_body").click()
    page.keyboard.press("Control+Shift+Space")
    titles = suggestions(page)
    assert any("Wrong item" in t for t in titles[:2]), titles
    page.keyboard.press("Escape")
    page.locator("#comment_body").click()
    page.keyboard.type(f"Hello Ann, this is a tset. Your card {CARD} is refunded.")
    marks = page.locator("#tact-root >> .mirror .issue-mark")
    marks.first.wait_for(state="attached", timeout=20000)
    marked = marks.all_inner_texts()
    assert "tset" in marked, marked
    mark_box, field_box = marks.first.bounding_box(), page.locator("#comment_body").bounding_box()
    assert field_box["x"] <= mark_box["x"] <= field_box["x"] + field_box["width"]
    assert field_box["y"] <= mark_box["y"] <= field_box["y"] + field_box["height"]
    page.get_by_role("button", name="Submit as Pending").click()
    page.locator("#tact-root >> .dialog .box").wait_for(timeout=20000)
    page.locator("#tact-root >> .dialog button.danger").click()
    assert CARD in sent(page, "reply") and "[pending]" in sent(page, "reply")
    page.locator("#comment_body").click()
    page.keyboard.type("Hello Ann, the exchange is arranged.")
    page.get_by_role("button", name="Submit as Pending").click()
    page.wait_for_function("document.querySelectorAll('.sent-item').length === 2", timeout=20000)
    assert "exchange is arranged" in page.locator(".sent-item").nth(1).inner_text()


def test_helpdesk_framework_editor_takes_the_reply(desk_agent):
    context, worker = desk_agent
    page = enable_desk_from_popup(context, worker)
    page.locator("#last-comment").click(click_count=3)
    page.locator("#chat").click()
    page.keyboard.type("Hi Ann!")
    page.keyboard.press("Control+Shift+Space")
    suggestions(page)
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#chat').innerText.length > 40", timeout=10000)
    page.wait_for_timeout(300)  # the editor re-renders from its model: the text must survive it
    chat = page.locator("#chat").inner_text()
    assert chat.startswith("Hi Ann!") and len(chat) > 40, chat
    page.locator(".chat-send").click()
    assert sent(page, "chat").startswith("Hi Ann!")
