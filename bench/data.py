"""Dev sets, read in place from ../shared/evaldata (never copied into the repo)."""

from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

EVALDATA = Path(__file__).resolve().parents[2] / "shared" / "evaldata"
SEED = 7


@dataclass
class IntentSet:
    name: str
    triggers: dict[str, list[str]]
    queries: list[tuple[str, str]]  # (text, intent)
    out_of_scope: list[str]


def bitext(triggers_per_intent: int = 10) -> IntentSet:
    by_intent: dict[str, list[str]] = defaultdict(list)
    with open(EVALDATA / "bitext-customer-support" / "utterances.csv", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            by_intent[row["intent"]].append(row["utterance"])
    rnd = random.Random(SEED)
    triggers, queries = {}, []
    for intent in sorted(by_intent):
        texts = by_intent[intent][:]
        rnd.shuffle(texts)
        triggers[intent] = texts[:triggers_per_intent]
        queries += [(t, intent) for t in texts[triggers_per_intent:]]
    return IntentSet(f"Bitext ({len(triggers)} intents, {triggers_per_intent} triggers each)", triggers, queries, [])


def clinc(triggers_per_intent: int | None = None) -> IntentSet:
    data = json.loads((EVALDATA / "clinc150" / "data_full.json").read_text())
    triggers: dict[str, list[str]] = defaultdict(list)
    for text, intent in data["train"]:
        triggers[intent].append(text)
    if triggers_per_intent:
        triggers = {k: v[:triggers_per_intent] for k, v in triggers.items()}
    label = f"{triggers_per_intent} triggers each" if triggers_per_intent else "all 100 train utterances as triggers"
    return IntentSet(f"CLINC150 ({len(triggers)} intents, {label})", dict(triggers),
                     [(t, i) for t, i in data["test"]], [t for t, _ in data["oos_test"]])
