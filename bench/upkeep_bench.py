"""The template classifier's upkeep while the library learns by itself (issue 11): agents' sent
replies add learned triggers all day, and each change used to take the trained classifier out of
service until a retrain of the whole library. On a library whose fit takes seconds, a steady
stream of sends kept suggestions in the weaker nearest-vector mode for good.

A CLINC150 library with every training utterance as a trigger (150 templates, 15,000 triggers: a
fit of seconds), the background trainer running, in-process: a sent reply learned every
``--learn-every`` seconds (a test-split message, as a learned trigger of its intent's template), a
search every ``--search-every`` seconds (other test-split messages), and one lead's edit halfway.
The same stream twice in one run: as Tact treats it, and with every change counted as a lead's
edit (as before 2026-11-28), the baseline.

    python -m bench.upkeep_bench [--seconds 150] [--learn-every 3] [--search-every 0.5]
"""

from __future__ import annotations

import argparse
import logging
import random
import time

from bench import data
from bench.report import put_section
from bench.scale_bench import english_model
from bench.suggest_bench import build, cached
from index import library
from index.embedder import load_embedder
from index.library import Document

SECTION = "## Classifier upkeep"


class _Fits(logging.Handler):
    """The trainer's own account of its work: each fit and each refit, with its seconds."""

    def __init__(self) -> None:
        super().__init__()
        self.fits: list[float] = []
        self.refits: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "classifier trained":
            self.fits.append(record.seconds)
        elif record.getMessage() == "confidence fitted":
            self.refits.append(record.seconds)


def stream(index, names: list[str], intents: data.IntentSet, seconds: float, learn_every: float,
           search_every: float, seed: int = 3) -> dict:
    messages = list(intents.queries)
    random.Random(seed).shuffle(messages)
    sent, asked = messages[::2], messages[1::2]
    ids = {name: n + 1 for n, name in enumerate(names)}
    learned: dict[int, list[str]] = {}
    fits = _Fits()
    logger = logging.getLogger("tact.index")
    logger.addHandler(fits)
    level = logger.level
    logger.setLevel(logging.INFO)
    searches = served = right = 0
    edit_at = edited_back = None
    started = time.monotonic()
    next_learn = next_search = started
    try:
        while (now := time.monotonic()) < started + seconds:
            if now >= next_learn and sent:
                text, intent = sent.pop()
                template_id = ids[intent]
                learned.setdefault(template_id, []).append(text)
                own = tuple(intents.triggers[intent])
                index.upsert(Document(template_id, intent.replace("_", " "), "", own + tuple(learned[template_id]),
                                      None, len(own)))
                next_learn += learn_every
            if edit_at is None and now >= started + seconds / 2:  # a lead adds a trigger to a template
                intent = names[0]
                own = (*intents.triggers[intent], f"lead's new wording {seed}")
                index.upsert(Document(ids[intent], intent.replace("_", " "), "", own + tuple(learned.get(ids[intent], ())),
                                      None, len(own)))
                edit_at = time.monotonic()
            if now >= next_search:
                text, intent = asked[searches % len(asked)]
                result = index.search(text, 3)
                searches += 1
                classifier = result.mode == "classifier"
                served += classifier
                right += bool(result.hits) and result.hits[0].template_id == ids[intent]
                if edit_at is not None and edited_back is None and classifier:
                    edited_back = time.monotonic() - edit_at
                next_search += search_every
            time.sleep(max(0.0, min(next_learn, next_search) - time.monotonic()))
    finally:
        logger.removeHandler(fits)
        logger.setLevel(level)
    return {"searches": searches, "served": served / searches, "top1": right / searches,
            "learned": sum(len(v) for v in learned.values()), "fits": len(fits.fits), "fit_seconds": sum(fits.fits),
            "refits": len(fits.refits), "refit_seconds": sum(fits.refits), "edit_to_classifier_s": edited_back}


def run(seconds: float, learn_every: float, search_every: float, model: str) -> list[str]:
    intents = data.clinc()
    embedder = cached(load_embedder(model))
    rows = {}
    for name, every_change_an_edit in (("every change a lead's edit (before)", True), ("Tact", False)):
        index, names = build(intents, embedder)  # trained at once
        real = library._learned_only
        if every_change_an_edit:
            library._learned_only = lambda old, new: False
        index.start_background_training()
        try:
            rows[name] = stream(index, names, intents, seconds, learn_every, search_every)
        finally:
            index.stop()
            library._learned_only = real
        print(" ", name, rows[name], flush=True)
    lines = [f"{SECTION}: the classifier while the library learns by itself (issue 11)", "",
             f"CLINC150 with every training utterance as a trigger (150 templates, 15,000 triggers), {model}, "
             f"in-process with the background trainer: for {seconds:.0f} s a sent reply learned every {learn_every:g} s "
             f"(a test-split message becomes a learned trigger of its template), a search every {search_every:g} s "
             "(other test-split messages), and one lead's edit halfway. *Classifier*: share of the searches the "
             "trained classifier answered (the rest: nearest vectors re-ranked, the mode after an edit until its "
             "retrain). Baseline, same run: every change counted as a lead's edit, as before 2026-11-28. "
             "`python -m bench.upkeep_bench`.", "",
             "| stream | searches | classifier | top-1 | learned | retrains (s in all) | refits (s in all) | lead's edit → classifier again |",
             "|---|---|---|---|---|---|---|---|"]
    for name, r in rows.items():
        back = f"{r['edit_to_classifier_s']:.1f} s" if r["edit_to_classifier_s"] is not None else "not within the run"
        lines.append(f"| {name} | {r['searches']} | **{r['served']:.3f}** | {r['top1']:.3f} | {r['learned']} | "
                     f"{r['fits']} ({r['fit_seconds']:.0f}) | {r['refits']} ({r['refit_seconds']:.0f}) | {back} |")
    return lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=150.0)
    parser.add_argument("--learn-every", type=float, default=3.0)
    parser.add_argument("--search-every", type=float, default=0.5)
    parser.add_argument("--model", default=None, help="default: the one the service serves English with")
    args = parser.parse_args()
    lines = run(args.seconds, args.learn_every, args.search_every, args.model or english_model())
    print("\n".join(lines))
    put_section(SECTION, lines)


if __name__ == "__main__":
    main()
