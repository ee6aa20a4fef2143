"""Etiquette: recall on violating sentences and false alarms on clean ones, per category and
language, on bench/etiquette/eval_*.yaml (written apart from the training sentences, never trained
on), for the rules alone and for rules + the learned etiquette check. A sentence counts as caught
when the check gives it any tone or privacy issue that is not a mere hint (severity info)."""

from __future__ import annotations

from pathlib import Path

import yaml

from service.checks.base import CheckContext
from service.checks.etiquette import CATEGORIES, EtiquetteCheck, EtiquetteModel
from service.checks.placeholders import PlaceholderCheck
from service.checks.privacy import PrivacyCheck
from service.checks.structure import StructureCheck
from service.checks.tone import ToneRulesCheck
from service.checks.vectors import SentenceVectors
from service.languages import load_languages

EVAL = Path(__file__).resolve().parent / "etiquette"


def _caught(checks, text: str, language) -> bool:
    context = CheckContext()
    for check in checks:
        context.found.extend(check.check(text, language, context))
    return any(f.category in ("tone", "privacy") and f.severity != "info" for f in context.found)


def run(embedders) -> dict:
    languages = load_languages(("en", "ru"))
    model = EtiquetteModel.load()
    rules = [ToneRulesCheck(), StructureCheck(), PrivacyCheck(), PlaceholderCheck()]
    learned = rules + [EtiquetteCheck(SentenceVectors(embedders.get(model.model)), model)]
    out = {}
    for code in ("en", "ru"):
        data = yaml.safe_load((EVAL / f"eval_{code}.yaml").read_text(encoding="utf-8"))
        language = languages.get(code)
        rows = {}
        for category, sentences in data.items():
            rows[category] = {name: sum(_caught(checks, s, language) for s in sentences) / len(sentences)
                              for name, checks in (("rules", rules), ("learned", learned))}
            rows[category]["n"] = len(sentences)
        violating = [c for c in data if c != "clean"]
        total = sum(rows[c]["n"] for c in violating)
        for name in ("rules", "learned"):
            rows.setdefault("all violations", {"n": total})[name] = sum(rows[c][name] * rows[c]["n"] for c in violating) / total
        out[code] = rows
    return out


def report(result: dict) -> list[str]:
    lines = ["## Etiquette check", "",
             "Sentences written apart from the training set (bench/etiquette/, other topics and phrasings). Recall: share of "
             "violating sentences that get a tone or privacy issue; false alarms: share of clean support sentences that do.", "",
             "| language | category | sentences | rules only | rules + learned |", "|---|---|---|---|---|"]
    for code, rows in result.items():
        for category in [*CATEGORIES, "all violations", "clean"]:
            r = rows[category]
            what = "false alarms" if category == "clean" else "recall"
            lines.append(f"| {code} | {category} ({what}) | {r['n']} | {r['rules']:.3f} | **{r['learned']:.3f}** |")
    return lines + [""]
