"""Fixture pages for the browser tests, built from the public structure of the real sites (see the
comments in fixtures/*.html) and filled per language: English and Russian UI, the customer's
thread, the agent's own earlier reply, quoted history. Served under the real hosts by conftest."""

from __future__ import annotations

import html
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# The thread: it began as a login problem, the agent answered it, the customer's last message is
# about something else (a double charge) and quotes the agent's reply.
THREAD = {
    "en": {
        "subject": "Can't log in to my account",
        "m1": "Hi, I can't log in to my account since this morning, it says my password is wrong.",
        "m2": "Hi Dana, I have sent you a link to set a new password. It is valid for 24 hours. Best regards, Sam",
        "m3": "Thanks, I'm in now. But I just noticed I was charged twice for order #48213 this month. "
              "Please refund the second payment.",
        "m3attr": "On Mon, Nov 23, 2026 at 9:30 AM Sam Agent &lt;agent@acme.example&gt; wrote:",
        "me": "Sam Agent",
    },
    "ru": {
        "subject": "Не могу войти в аккаунт",
        "m1": "Здравствуйте, с утра не могу войти в аккаунт, пишет, что пароль неверный.",
        "m2": "Здравствуйте, Мария! Я отправил вам ссылку для нового пароля, она действует сутки. С уважением, Сэм",
        "m3": "Спасибо, вошла. Но сейчас увидела, что с меня дважды списали деньги за заказ №48213. "
              "Верните, пожалуйста, второй платёж.",
        "m3attr": "пн, 23 нояб. 2026 г. в 09:30, Сэм Агент &lt;agent@acme.example&gt;:",
        "me": "Сэм Агент",
    },
}
CUSTOMER = {"en": ("Dana Miller", "dana.miller@example.com"), "ru": ("Мария Иванова", "maria.ivanova@example.ru")}

GMAIL_UI = {
    "en": {"appName": "Gmail", "accountLabel": "Google Account", "folders": "Inbox<br>Starred<br>Sent",
           "bodyLabel": "Message Body", "sendTip": "Send \u202a(Ctrl-Enter)\u202c", "send": "Send",
           "moreSend": "More send options", "newMessage": "New Message", "subjectLabel": "Subject",
           "popoutSubject": "Our new plans", "popoutDraft": "Hello team,"},
    "ru": {"appName": "Почта", "accountLabel": "Аккаунт Google", "folders": "Входящие<br>Помеченные<br>Отправленные",
           "bodyLabel": "Текст письма", "sendTip": "Отправить \u202a(Ctrl+Enter)\u202c", "send": "Отправить",
           "moreSend": "Другие параметры отправки", "newMessage": "Новое сообщение", "subjectLabel": "Тема",
           "popoutSubject": "Новые тарифы", "popoutDraft": "Коллеги, добрый день!"},
}

OUTLOOK_UI = {
    "en": {"accountLabel": "Account manager for Sam Agent", "folders": "Inbox<br>Drafts<br>Sent Items",
           "listLabel": "Message list", "paneLabel": "Reading Pane", "fromLabel": "From", "bodyLabel": "Message body, press Alt+F10 to exit",
           "readBody": "Message body", "send": "Send", "sendTip": "Send (Ctrl+Enter)", "newMessage": "New message",
           "projectionDraft": "Hi Chris, the quarterly report is attached.", "dates": ["Mon 11/23/2026 9:02 AM", "Mon 11/23/2026 9:30 AM", "Wed 11/25/2026 4:48 PM"]},
    "ru": {"accountLabel": "Диспетчер учетных записей для Сэм Агент", "folders": "Входящие<br>Черновики<br>Отправленные",
           "listLabel": "Список сообщений", "paneLabel": "Область чтения", "fromLabel": "От", "bodyLabel": "Текст сообщения, чтобы выйти, нажмите ALT+F10",
           "readBody": "Текст сообщения", "send": "Отправить", "sendTip": "Отправить (CTRL+ВВОД)", "newMessage": "Новое сообщение",
           "projectionDraft": "Коллеги, отчёт за квартал во вложении.", "dates": ["Пн 23.11.2026 9:02", "Пн 23.11.2026 9:30", "Ср 25.11.2026 16:48"]},
}


def _fill(template: str, values: dict) -> str:
    for key, value in values.items():
        template = template.replace("{{" + key + "}}", str(value))
    return template


def gmail(lang: str = "en") -> str:
    thread = THREAD[lang]
    values = {**GMAIL_UI[lang], **thread, "lang": lang, "m1quote": thread["m1"],
              "title": f"{thread['subject']} - agent@acme.example - Gmail"}
    name, email = CUSTOMER[lang]
    page = _fill((FIXTURES / "gmail-thread.html").read_text(encoding="utf-8"), values)
    return page.replace("Dana Miller", name).replace("dana.miller@example.com", email)


def _outlook_message(i: int, lang: str, name: str, email: str, date: str, body: str, quoted: str | None) -> str:
    ui = OUTLOOK_UI[lang]
    history = ""
    if quoted:
        history = (f'<div id="x_appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1">'
                   f'<div id="x_divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt">'
                   f'<b>{ui["fromLabel"]}:</b> Sam Agent &lt;agent@acme.example&gt;<br><b>Sent:</b> {ui["dates"][1]}<br>'
                   f'<b>Subject:</b> RE: {html.escape(THREAD[lang]["subject"])}</font><div>&nbsp;</div></div>'
                   f'<div><div class="x_elementToProof">{quoted}</div></div>')
    return (f'<div class="AvaBt aria-expanded" tabindex="-1" aria-expanded="true" data-n="{i}">'
            f'<div class="ZrX5s"><div class="OZZZK" aria-label="{ui["fromLabel"]}: {name}"><span title="{email}" class="OZZZK">{name}</span></div>'
            f'<div class="AL_OM" title="{date}">{date}</div></div>'
            f'<div aria-label="{ui["readBody"]}" role="document" class="XbIp4 jmmB7 GNqVo allowTextSelection OuGoX" tabindex="0">'
            f'<div id="UniqueMessageBody_{i}"><div class="rps_a1b{i}"><div><div class="x_elementToProof">{body}</div>{history}</div></div></div></div>'
            f'</div>')


def outlook(lang: str = "en", newest: str = "first") -> str:
    ui, thread = OUTLOOK_UI[lang], THREAD[lang]
    name, email = CUSTOMER[lang]
    messages = [
        _outlook_message(1, lang, name, email, ui["dates"][0], thread["m1"], None),
        _outlook_message(2, lang, thread["me"], "agent@acme.example", ui["dates"][1], thread["m2"], None),
        _outlook_message(3, lang, name, email, ui["dates"][2], thread["m3"], thread["m2"]),
    ]
    compose = (f'<div class="dMm6A" data-compose="reply"><div role="textbox" aria-label="{ui["bodyLabel"]}" aria-multiline="true" '
               f'contenteditable="true" class="dFCbN elementToProof"><div><br></div><div id="appendonsend"></div>'
               f'<hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg" dir="ltr"><b>{ui["fromLabel"]}:</b> {name} '
               f'&lt;{email}&gt;<br><b>Sent:</b> {ui["dates"][2]}</div><div>{thread["m3"]}</div></div>'
               f'<button type="button" class="ms-Button ms-Button--primary root-188" aria-label="{ui["send"]}" title="{ui["sendTip"]}">'
               f'<span class="ms-Button-label">{ui["send"]}</span></button></div>')
    if newest == "first":
        body = compose + "".join(reversed(messages))
    else:
        body = "".join(messages) + compose
    values = {**ui, "lang": lang, "order": newest, "subject": thread["subject"], "messages": body, "customer": name,
              "title": f"Mail - Sam Agent - Outlook"}
    return _fill((FIXTURES / "outlook-thread.html").read_text(encoding="utf-8"), values)


def helpdesk() -> str:
    return (FIXTURES / "helpdesk.html").read_text(encoding="utf-8")
