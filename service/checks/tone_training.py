"""``tact train tone``: the politeness head, reproducibly, from the shared dev sets.

English: Stanford Politeness (Wikipedia requests); as in the paper, the top quartile of the
normalised score is polite and the bottom quartile impolite. Russian: RUSSE-2022 detox, each toxic
comment (impolite) against its neutral rewrites (polite). A fixed-seed 80/20 split of each set is
held out and its accuracy reported.
"""

from __future__ import annotations

import csv
import logging
import random
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from service.checks.tone import ToneHead

log = logging.getLogger("tact.train")
SEED = 13


Group = list[tuple[str, int]]  # sentences that must fall on the same side of the split


def politeness_groups(root: Path) -> list[Group]:
    with open(root / "politeness-wikipedia" / "wikipedia.annotated.csv", encoding="utf-8") as fh:
        rows = [(r["Request"], float(r["Normalized Score"])) for r in csv.DictReader(fh)]
    scores = np.array([s for _, s in rows])
    low, high = np.quantile(scores, [0.25, 0.75])
    return [[(t, 1)] for t, s in rows if s >= high] + [[(t, 0)] for t, s in rows if s <= low]


def detox_groups(root: Path) -> list[Group]:
    """A toxic comment and its rewrites stay together, so no rewrite of a test comment is trained on."""
    out = []
    with open(root / "russe-detox" / "dev.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            group = [(row["toxic_comment"], 0)]
            group += [(row[k], 1) for k in ("neutral_comment1", "neutral_comment2", "neutral_comment3") if row.get(k)]
            out.append(group)
    return out


def _split(groups: list[Group]) -> tuple[Group, Group]:
    groups = groups[:]
    random.Random(SEED).shuffle(groups)
    cut = int(len(groups) * 0.8)
    return [p for g in groups[:cut] for p in g], [p for g in groups[cut:] for p in g]


def train_tone(evaldata: Path, embedder, progress=print) -> ToneHead:
    sets = {"politeness-wikipedia (en)": politeness_groups(evaldata), "russe-detox (ru)": detox_groups(evaldata)}
    train, held = [], {}
    for name, groups in sets.items():
        tr, te = _split(groups)
        train += tr
        held[name] = te
        progress(f"{name}: {len(tr)} train, {len(te)} held out")
    progress(f"encoding {len(train)} training sentences with {embedder.name} …")
    x = embedder.encode([t for t, _ in train])
    y = np.array([label for _, label in train])
    model = LogisticRegression(C=2.0, max_iter=2000, class_weight="balanced")
    model.fit(x, y)
    metrics = {}
    for name, pairs in held.items():
        xt = embedder.encode([t for t, _ in pairs])
        yt = np.array([label for _, label in pairs])
        accuracy = float((model.predict(xt) == yt).mean())
        metrics[name] = {"held_out": len(pairs), "accuracy": round(accuracy, 4)}
        progress(f"{name}: held-out accuracy {accuracy:.3f} on {len(pairs)}")
    return ToneHead(embedder.name, model.coef_[0], float(model.intercept_[0]), metrics)
