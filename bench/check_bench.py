"""/check speed beside bare language-tool-python on the same server and text, in the same run."""

from __future__ import annotations

import re
import statistics
import time

EN_DRAFT = """Hello Ana,

Thank you for contacting us about your order, and sorry for the wait over the weekend. I checked your acount and I can see that the parcel was shipped on Monday, but the carrier have reported a delay in your region.

We are monitoring the shipment closely and I will write to you again tomorrow with an update, even if nothing changes. If the parcel doesnt arrive by Friday, we will send a replacement or refund you, whichever you prefer.

In the meantime, you can follow the delivery with the tracking link in your confirmation email. Please let me know if you have any other question, I am happy to help.

I have also added a note to your account so that any colleague who picks up your request can see the whole history. There is no need to explain anything again if you write to us from a diferent address. Should the carrier need your signature, they will leave a card with the time of there next visit.

Best regards,
Sam, Customer Support team at Acme Online"""

RU_DRAFT = """Здравствуйте, Анна!

Спасибо, что написали нам по поводу заказа, и простите, что ответ занял все выходные и часть понедельника. Я проверил ваш аккаунт и вижу, что посылка была отправлена в понедельник, но служба доставки сообщила о задержке в вашем регионе.

Мы внимательно следим за отправлением, и завтра я напишу вам снова, даже если ничего не изменится. Если посылка не прейдёт до пятницы, мы отправим замену или вернём деньги — как вам удобнее.

А пока вы можете отслеживать доставку по ссылке из письма с подтверждением заказа. Если появятся другие вопросы, пожалуйста, напишите, я с радостью помогу.

Я также добавил заметку в ваш профиль, чтобы любой коллега, который возьмёт обращение, видел всю историю. Объяснять всё заново не придётся, даже если вы напишете нам с другого адреса. Если курьеру понадобится ваша подпись, он оставит извещение со временем следующего визита и номером телефона.

С уважением,
Сэм, служба поддержки клиентов интернет-магазина Acme"""


def _fresh(text: str, n: int) -> str:
    """A draft none of whose sentences was seen before (every sentence gets a number): the first
    check of a new draft, nothing cached anywhere (ours or LanguageTool's)."""
    return re.sub(r"([.!?])(\s)", rf" {n}\1\2", text)


def _edit(text: str, n: int) -> str:
    """Change one paragraph (the third), as an agent editing a draft would."""
    paragraphs = text.split("\n\n")
    paragraphs[2] = paragraphs[2].replace(".", f" ({n}).", 1)
    return "\n\n".join(paragraphs)


def run(checks, repeats: int = 40) -> dict:
    """p50 of each path over ``repeats`` fresh drafts per language, the paths taking turns to go
    first (bare then ours, next time ours then bare), so neither always runs right after the other.
    Runs of 15 in a fixed order put bare LanguageTool's p50 anywhere from 43 to 144 ms (README)."""
    import language_tool_python

    server = checks.server
    out = {}
    for language, draft in (("en", EN_DRAFT), ("ru", RU_DRAFT)):
        bare_tool = language_tool_python.LanguageTool(checks.languages.get(language).languagetool, remote_server=server.url)
        for _ in range(3):  # warm the server and both clients
            bare_tool.check(draft)
            checks.check(draft, language)
        times: dict[str, list[float]] = {"bare": [], "full": [], "edit": [], "bare_edit": []}

        def timed(key: str, call, text: str) -> None:
            started = time.perf_counter()
            call(text)
            times[key].append(time.perf_counter() - started)

        for n in range(repeats):
            text = _fresh(draft, n)
            edited = _edit(text, n)
            ours = [("full", lambda t: checks.check(t, language), text),  # first check: all to LanguageTool
                    ("edit", lambda t: checks.check(t, language), edited)]  # then one paragraph changed
            bare = [("bare", bare_tool.check, text), ("bare_edit", bare_tool.check, edited)]
            first, second = (bare, ours) if n % 2 == 0 else (ours, bare)
            for key, call, t in first[:1] + second[:1] + first[1:] + second[1:]:
                timed(key, call, t)
        ms = lambda xs: round(statistics.median(xs) * 1000, 1)  # noqa: E731
        out[language] = {"chars": len(draft), "bare_p50": ms(times["bare"]), "full_p50": ms(times["full"]),
                         "edit_p50": ms(times["edit"]), "bare_edit_p50": ms(times["bare_edit"]), "repeats": repeats}
    return out
