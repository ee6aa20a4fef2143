"""Hostile input: long runs of the characters the service's scans treat specially (punctuation,
spaces, line breaks, template tags, brackets, addresses, digits …), each a 20,000-character text
(the limit), through ``/suggest``, ``/check`` (English and Russian, LanguageTool running) and a
template save. The baseline, measured in the same run: an ordinary 20,000-character text of real
sentences (distinct, so that nothing is cached) through the same routes. Meanwhile another client sends a short ``/suggest`` every
0.1 s: what the long runs cost everyone else.

Before 2026-11-28 such runs held a route 1.6–20 s (README, API limits); nesting deep was a 500.

    python -m bench.hostile_bench
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench import data
from bench.report import put_section
from bench.suggest_bench import percentile
from tests.servers import start_server

SECTION = "## Hostile input: long runs"
TOKEN = "hostile-bench-token"
LIMIT = 20_000
RUNS = ["a", "1", "1 ", "a ", " ", "a.", "a@", "@a.", "a-", "1-", "A1", "<a", "{{", "{%", "{#", "}}", "\n", "а", "а ",
        "!", ". ", "!a", ".a", "aa@a.", "+1", "a'", "Hi ", "you ", "вы ", "-", "_", "/", "=", "Aa", "a,", "1.", "(1",
        "http://a", "\t", " \n", "ё", "[A", "<name>", "\"", "»", "…", "1) ", "\u00a0", "x" * 50 + " ", "https://a.b/",
        "password: ", "a.b@", "1 2 3 4 ", "I'm ", ":)", "!!!?", "\r\n", "?!", "!?", "?", "Dear ", "Hello, ",
        "Здравствуйте, ", "Спасибо ", "thanks ", "calm ", "sorry ", ",", ";", "...", "!!", "a!", "a?", "(", ")", "#",
        "*", "@", "$1", "1,", "1:", "ab@cd.ef ", "+7 ", "4111 "]


def ordinary(code: str, offset: int = 0) -> str:
    """A 20,000-character text of distinct real sentences (none cached by the service): customers'
    messages from Bitext (English), the neutral rewrites of russe-detox (Russian)."""
    import csv

    if code == "en":
        sentences = [text.strip().rstrip("?.!") + "." for text, _ in data.bitext().queries]
    else:
        with open(data.EVALDATA / "russe-detox" / "dev.tsv", encoding="utf-8") as f:
            sentences = [row["neutral_comment1"].strip() for row in csv.DictReader(f, delimiter="\t") if row["neutral_comment1"]]
    text, seen = "", set()
    for sentence in sentences[offset::7] if code == "en" else sentences[offset:]:
        if sentence not in seen:
            seen.add(sentence)
            text += sentence[0].upper() + sentence[1:] + ("" if sentence[-1] in ".!?…" else ".") + " "
        if len(text) >= LIMIT:
            break
    return text[:LIMIT].rsplit(" ", 1)[0]


def _text(unit: str, route: str) -> str:
    """The run, framed by letters of the route's own (a text a route has seen is cached)."""
    first, last = {"/check ru": ("б", "ю"), "/check en": ("a", "x")}.get(route, ("c", "z"))
    return (first + unit * LIMIT)[:LIMIT - 1] + last


def _routes(text: str) -> dict:
    return {"/suggest": ("/api/v1/suggest", {"message": text}),
            "/check en": ("/api/v1/check", {"text": text, "language": "en"}),
            "/check ru": ("/api/v1/check", {"text": text, "language": "ru"}),
            "template save": ("/api/v1/templates", {"title": "long run", "language": "en", "body": text, "status": "draft"})}


def run() -> dict:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with tempfile.TemporaryDirectory(prefix="tact-hostile-bench-") as tmp:
        server, url = start_server(Path(tmp), TOKEN, grammar=True, timeout=300)
        try:
            client = httpx.Client(base_url=url, headers=headers, timeout=120)
            for n in range(3):  # LanguageTool's first checks in each language load its rules
                for code, sentence in (("en", "We have sent the parcel today"), ("ru", "Мы отправили посылку сегодня")):
                    client.post("/api/v1/check", json={"text": f"{sentence} ({n}).", "language": code})
            others: list[float] = []
            stop = threading.Event()

            def neighbour() -> None:
                with httpx.Client(base_url=url, headers=headers, timeout=120) as own:
                    while not stop.is_set():
                        started = time.perf_counter()
                        own.post("/api/v1/suggest", json={"message": "Where is my parcel?", "language": "en"})
                        others.append(time.perf_counter() - started)
                        time.sleep(0.1)

            def timed(route: str, text: str) -> tuple[float, int]:
                path, body = _routes(text)[route]
                started = time.perf_counter()
                status = client.post(path, json=body).status_code
                return time.perf_counter() - started, status

            routes = list(_routes(""))
            texts = {"/suggest": ordinary("en"), "/check en": ordinary("en", 1), "/check ru": ordinary("ru"),
                     "template save": ordinary("en", 2)}
            baseline = {route: timed(route, texts[route]) for route in routes}
            quiet = len(others)
            thread = threading.Thread(target=neighbour, daemon=True)
            thread.start()
            time.sleep(2)
            calm = list(others)
            results = {route: [] for route in routes}
            for unit in RUNS:
                for route in routes:
                    seconds, status = timed(route, _text(unit, route))
                    results[route].append((seconds, status, unit))
            stop.set()
            thread.join(30)
            return {"baseline": baseline, "results": results, "others": others[len(calm) + quiet:], "calm": calm}
        finally:
            server.terminate()
            server.wait(30)


def report(result: dict) -> list[str]:
    lines = [SECTION, "",
             f"`python -m bench.hostile_bench` ({time.strftime('%Y-%m-%d %H:%M')}). {len(RUNS)} kinds of runs "
             f"(`bench/hostile_bench.py` RUNS: punctuation, spaces, line breaks, template tags, brackets, addresses, "
             f"digits, greetings …), each a {LIMIT:,}-character text, one after another through each route over HTTP, "
             f"LanguageTool running. Baseline: an ordinary {LIMIT:,}-character text of distinct real sentences (Bitext "
             f"customers' messages; for the Russian check russe-detox's neutral rewrites) through the same route in the "
             f"same run. Each route gets its own texts: nothing it reads is in the service's caches.", "",
             "| route | ordinary text, s | long runs p50, s | worst, s | worst run | 5xx |", "|---|---|---|---|---|---|"]
    for route, rows in result["results"].items():
        seconds = sorted(s for s, _, _ in rows)
        worst = max(rows)
        errors = sum(status >= 500 for _, status, _ in rows)
        lines.append(f"| {route} | {result['baseline'][route][0]:.2f} | {percentile(seconds, 50):.2f} | "
                     f"**{worst[0]:.2f}** | `{worst[2]!r}` | {errors} |")
    others, calm = result["others"], result["calm"]
    lines += ["", f"Another client's short `/suggest` meanwhile, every 0.1 s: p50 {percentile(others, 50) * 1000:.0f} ms, "
              f"p99 **{percentile(others, 99) * 1000:.0f} ms**, worst {max(others) * 1000:.0f} ms over {len(others)} "
              f"requests (before the runs began: p50 {percentile(calm, 50) * 1000:.0f} ms).", ""]
    return lines


def main() -> None:
    lines = report(run())
    print("\n".join(lines))
    put_section(SECTION, lines)


if __name__ == "__main__":
    main()
