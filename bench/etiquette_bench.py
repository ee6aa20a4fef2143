"""Etiquette: recall on violating sentences and false alarms on clean ones, per category and
language, on bench/etiquette/eval_*.yaml (written apart from the training sentences, never trained
on), for the rules alone and for rules + the learned etiquette check. A sentence counts as caught
when the check gives it any tone or privacy issue that is not a mere hint (severity info)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import yaml

from service.checks.base import CheckContext
from service.checks.etiquette import CATEGORIES, HEAD_PATH, LONG_WORDS, EtiquetteCheck, EtiquetteModel, as_written_in_training
from service.checks.etiquette_training import jfleg_sentences, languagetool_sentences, ordinary_halves
from service.checks.placeholders import PlaceholderCheck
from service.checks.privacy import PrivacyCheck
from service.checks.structure import StructureCheck
from service.checks.tone import ToneRulesCheck
from service.checks.vectors import SentenceVectors
from service.checks.verifier import load_verifiers
from service.languages import load_languages

EVAL = Path(__file__).resolve().parent / "etiquette"
VERIFIERS_BESIDE = HEAD_PATH  # the etiquette model file the verifiers are read beside
CLEAN_SETS = ("clean", "neutral")


def _rules() -> list:
    """The rule-based checks the learned one is measured beside."""
    return [ToneRulesCheck(), StructureCheck(), PrivacyCheck(), PlaceholderCheck()]


def _kinds(embedders, base_too: bool = False, unverified: bool = False) -> dict[str, list]:
    """The checks measured: the rules alone, rules + the learned check (with its second reading,
    ``checks/verifier.py``, where the language has one), with ``base_too`` rules + the learned check
    without its long-sentence model, with ``unverified`` without the second reading."""
    model = EtiquetteModel.load()
    rules = _rules()
    vectors = SentenceVectors(embedders.get(model.model))
    verifiers = {code: (v, SentenceVectors(embedders.get(v.model))) for code, v in load_verifiers(VERIFIERS_BESIDE).items()}
    kinds = {"rules": rules, "learned": rules + [EtiquetteCheck(vectors, model, verifiers=verifiers)]}
    if base_too:
        base = copy.copy(model)
        base.long = None
        kinds["base"] = rules + [EtiquetteCheck(vectors, base, verifiers=verifiers)]
    if unverified:
        kinds["unverified"] = rules + [EtiquetteCheck(vectors, model)]
    return kinds


def _caught(checks, text: str, language) -> bool:
    context = CheckContext()
    for check in checks:
        context.found.extend(check.check(text, language, context))
    return any(f.category in ("tone", "privacy") and f.severity != "info" for f in context.found)


def jfleg_references(evaldata: Path) -> list[str]:
    """JFLEG's first corrected reference of each essay sentence (English learners' essays): the half
    training does not read (``etiquette_training.ordinary_halves``)."""
    return ordinary_halves(jfleg_sentences(evaldata))[1]


def languagetool_examples(lt_lib: Path, code: str) -> list[str]:
    """The correct example sentences of LanguageTool's rules: the half training does not read."""
    return ordinary_halves(languagetool_sentences(lt_lib, code))[1]


def ordinary(embedders, evaldata: Path, lt_lib: Path) -> dict:
    """False alarms of the learned check on ordinary sentences written by other people, none of
    them support replies: the held-out polite Wikipedia requests (the tone score's test split),
    JFLEG's corrected essays, LanguageTool's rule examples in both languages."""
    from service.checks.tone import split_sentences
    from service.checks.tone_training import _split, _wikipedia

    wiki, scores = _wikipedia(evaldata)
    polite = np.quantile(scores, 0.75)
    _, held = _split(wiki)
    sets = {"polite Wikipedia requests, held-out (en)": ([s for t, score, _ in held if score >= polite
                                                          for _, s in split_sentences(t)], "en"),
            "JFLEG corrected essays (en)": (jfleg_references(evaldata), "en"),
            "LanguageTool rule examples (en)": (languagetool_examples(lt_lib, "en")[:1500], "en"),
            "LanguageTool rule examples (ru)": (languagetool_examples(lt_lib, "ru")[:1500], "ru")}
    model = EtiquetteModel.load()
    vectors = SentenceVectors(embedders.get(model.model))
    out = {}
    for name, (sentences, code) in sets.items():
        sentences = [as_written_in_training(s) for s in sentences]  # as EtiquetteCheck reads them
        if sentences:
            flagged = sum(v is not None for v in model.verdicts(vectors.encode(sentences), sentences, code))
            out[name] = {"n": len(sentences), "false_alarms": flagged / len(sentences)}
    return out


VOICES = ("formal", "chat, typos", "long, emotional", "understated", "plain / non-native")

# Misspellings for the "typed in a hurry" table (training adds none): a vowel left out, a letter
# spelt as it sounds, two words run together; then lowercase and no final stop or commas, half
# the time each.
_SOUNDS = {"en": (("ea", "ee"), ("ou", "o"), ("ph", "f"), ("ck", "k"), ("ie", "ei"), ("ss", "s"), ("ll", "l"), ("tt", "t")),
           "ru": (("о", "а"), ("е", "и"), ("ться", "тся"), ("тся", "ться"), ("ё", "е"), ("сч", "щ"), ("нн", "н"), ("я", "е"))}
_VOWELS = {"en": "aeiou", "ru": "аеиоуыэюя"}


def misspelt(sentence: str, code: str, rng) -> str:
    words = sentence.split(" ")
    for _ in range(rng.choice((1, 2))):
        n = rng.randrange(len(words))
        word, kind = words[n], rng.choice(("vowel", "sound", "join"))
        if kind == "vowel":
            inner = [i for i in range(1, len(word) - 1) if word[i].lower() in _VOWELS.get(code, "aeiou")]
            if inner:
                i = rng.choice(inner)
                words[n] = word[:i] + word[i + 1:]
        elif kind == "sound":
            pairs = [(a, b) for a, b in _SOUNDS.get(code, ()) if a in word]
            if pairs:
                a, b = rng.choice(pairs)
                words[n] = word.replace(a, b, 1)
        elif n + 1 < len(words) and words[n][-1:].isalpha():
            words[n:n + 2] = [words[n] + words[n + 1]]
    out = " ".join(words)
    if rng.random() < 0.5:
        out = out.lower()
    if rng.random() < 0.5:
        out = out.rstrip(".!").replace(",", "")
    return out


def run_hurried(embedders, copies: int = 3, seed: int = 2026) -> dict:
    """The evaluation sentences (``eval_<code>.yaml``) as typed in a hurry: ``copies`` misspelt
    versions of each (``misspelt``, fixed seed), never trained on. Recall over the violating
    ones, false alarms over the clean and neutral ones, beside the same sentences as written."""
    import random

    languages, checks = load_languages(("en", "ru")), _kinds(embedders)["learned"]
    rng = random.Random(seed)
    out = {}
    for code in ("en", "ru"):
        data = yaml.safe_load((EVAL / f"eval_{code}.yaml").read_text(encoding="utf-8"))
        language = languages.get(code)
        for kind, wanted in (("violations (recall)", False), ("clean and neutral (false alarms)", True)):
            sentences = [s for category, items in data.items() if (category in CLEAN_SETS) == wanted for s in items]
            hurried = [misspelt(s, code, rng) for s in sentences for _ in range(copies)]
            out[code, kind] = {"n": len(sentences), "written": float(np.mean([_caught(checks, s, language) for s in sentences])),
                               "hurried": float(np.mean([_caught(checks, s, language) for s in hurried]))}
    return out


def run(embedders, name: str = "eval", base_too: bool = False, unverified: bool = False) -> dict:
    """Per language and category, the share caught by the rules and by rules + learned, on
    ``bench/etiquette/<name>_<code>.yaml``; for ``voices``, also per voice (the n-th sentence of
    each category is in the n-th of ``VOICES``). ``base_too``: also the learned check without its
    long-sentence model (kind ``base``); ``unverified``: without its second reading."""
    languages, kinds = load_languages(("en", "ru")), _kinds(embedders, base_too, unverified)
    out = {}
    for code in ("en", "ru"):
        data = yaml.safe_load((EVAL / f"{name}_{code}.yaml").read_text(encoding="utf-8"))
        language = languages.get(code)
        rows, caught = {}, {}
        for category, sentences in data.items():
            for kind, checks in kinds.items():
                caught[category, kind] = [_caught(checks, s, language) for s in sentences]
            rows[category] = {kind: float(np.mean(caught[category, kind])) for kind in kinds}
            rows[category]["n"] = len(sentences)
        violating = [c for c in data if c not in CLEAN_SETS]
        total = sum(rows[c]["n"] for c in violating)
        for kind in kinds:
            rows.setdefault("all violations", {"n": total})[kind] = sum(rows[c][kind] * rows[c]["n"] for c in violating) / total
        if name == "voices":
            for v, voice in enumerate(VOICES):
                rows[f"voice: {voice}"] = {"n": len(violating), **{
                    kind: float(np.mean([caught[c, kind][v] for c in violating])) for kind in kinds}}
        out[code] = rows
    return out


def run_short(embedders) -> dict:
    """False alarms on short neutral support lines (``bench/etiquette/short_<code>.yaml``):
    confirmations and status lines, per list (``seen``, ``held_out``), rules alone and rules +
    learned."""
    languages, kinds = load_languages(("en", "ru")), _kinds(embedders)
    out = {}
    for code in ("en", "ru"):
        data = yaml.safe_load((EVAL / f"short_{code}.yaml").read_text(encoding="utf-8"))
        for part, sentences in data.items():
            out[code, part] = {"n": len(sentences), **{kind: float(np.mean([_caught(checks, s, languages.get(code))
                                                                            for s in sentences]))
                                                       for kind, checks in kinds.items()}}
    return out


def report_short(result: dict) -> list[str]:
    lines = ["Short neutral support lines (bench/etiquette/short_*.yaml: confirmations, status lines, dates, plain "
             "mentions of managers or another warehouse; never trained on). False alarms. *Seen*: looked at while the "
             "short clean training lines of 2026-11-28 were written; *held out*: written before that retrain, read after "
             "it (before it: EN 3 of 20, RU 8 of 20 flagged); *held out 2*: other services and voices, written before a "
             "second batch of short clean training lines was tried (56 RU, 32 EN; not kept: these lines were flagged "
             "EN 2, RU 2 of 20 with it as without it, and Russian lost two held-out violations).", "",
             "| language | lines | sentences | rules only | rules + learned |", "|---|---|---|---|---|"]
    lines += [f"| {code} | {part.replace('_', ' ')} | {r['n']} | {r['rules']:.3f} | **{r['learned']:.3f}** |"
              for (code, part), r in result.items()]
    return lines + [""]


def report(result: dict) -> list[str]:
    lines = ["## Etiquette check", "",
             "Sentences written apart from the training set (bench/etiquette/, other topics and phrasings). Recall: share of "
             "violating sentences that get a tone or privacy issue; false alarms: share of clean support sentences (polite ones on "
             "the same touchy topics) and of neutral ones (information and steps) that do. *First reading only*: the "
             "learned check without its second reading (service/checks/verifier.py: English; Russian has none).", "",
             "| language | category | sentences | rules only | rules + learned | first reading only |", "|---|---|---|---|---|---|"]
    for code, rows in result.items():
        for category in [*CATEGORIES, "all violations", *CLEAN_SETS]:
            r = rows[category]
            what = "false alarms" if category in CLEAN_SETS else "recall"
            first = f" {r['unverified']:.3f} |" if "unverified" in r else " – |"
            lines.append(f"| {code} | {category} ({what}) | {r['n']} | {r['rules']:.3f} | **{r['learned']:.3f}** |{first}")
    return lines + [""]


def _rows(code: str, rows: dict, categories) -> list[str]:
    """A language's table rows: recall of each violating set, false alarms of the clean ones, and
    the base model's column when the run has one."""
    out = []
    for category in categories:
        if category not in rows:
            continue
        r = rows[category]
        label = "clean (false alarms)" if category in CLEAN_SETS else f"{category} (recall)"
        base = f" {r['base']:.3f} |" if "base" in r else ""
        out.append(f"| {code} {label} | {r['n']} | {r['rules']:.3f} | **{r['learned']:.3f}** |{base}")
    return out


def report_voices(result: dict) -> list[str]:
    base = any("base" in r for rows in result.values() for r in rows.values())
    lines = ["Sentences in other voices (bench/etiquette/voices_*.yaml): written after the model was trained, apart from both "
             "files above, one sentence a category in each of five voices, and 15 polite replies on the same topics. Never "
             "trained on; five sentences a category, so read the totals and the voices."
             + (f" *Base model only*: without the long-sentence model ({LONG_WORDS} words and more)." if base else ""), "",
             "| language | sentences | rules only | rules + learned |" + (" base model only |" if base else ""),
             "|---|---|---|---|" + ("---|" if base else "")]
    for code, rows in result.items():
        lines += _rows(code, rows, ["all violations", *(k for k in rows if k.startswith("voice: ")), *CLEAN_SETS])
        per = ", ".join(f"{c} {rows[c]['learned']:.1f}" for c in CATEGORIES)
        lines.append(f"| {code} per category, learned (of 5 each): {per} | | | |" + (" |" if base else ""))
    return lines + [""]


def report_long(result: dict) -> list[str]:
    """``dev_long``: the set the long-sentence model's mix was chosen on (not held out)."""
    lines = [f"Long sentences (bench/etiquette/dev_long_*.yaml, {LONG_WORDS}+ words mostly): six a category and 20 polite "
             "ones per language, each violation one clause among helpful ones. **Not held out**: the long-sentence model's "
             "mix of joined sentences was chosen on this set (etiquette_training.JOINED), so read it as what the base "
             "model misses, not as a measure of the long model.", "",
             "| language | sentences | rules only | rules + learned | base model only |", "|---|---|---|---|---|"]
    for code, rows in result.items():
        lines += _rows(code, rows, ["all violations", *CATEGORIES, *CLEAN_SETS])
    return lines + [""]


def report_hurried(result: dict) -> list[str]:
    lines = ["The same evaluation sentences typed in a hurry (`etiquette_bench.misspelt`: three misspelt copies of each, "
             "a vowel left out, a letter spelt as it sounds, two words run together, often lowercase without the final stop "
             "or commas; other slips than the ones training adds), rules + learned:", "",
             "| language | sentences | as written | typed in a hurry |", "|---|---|---|---|"]
    lines += [f"| {code} {kind} | {r['n']} | {r['written']:.3f} | **{r['hurried']:.3f}** |" for (code, kind), r in result.items()]
    return lines + [""]


def report_ordinary(result: dict) -> list[str]:
    lines = [("False alarms of the learned check alone on ordinary sentences written by other people, not support "
              "replies and never trained on (the model learned what is clean from support sentences only):"), "",
             "| sentences from | n | flagged |", "|---|---|---|"]
    lines += [f"| {name} | {r['n']} | **{r['false_alarms']:.3f}** |" for name, r in result.items()]
    return lines + [""]


def run_team(embedders) -> dict:
    """A team's own "never say" sentences (bench/etiquette/team_*.yaml, written after the team
    model's C and line were chosen): how many paraphrases of them agents' drafts get flagged, and
    how many of the team's clean replies on the same topics, with the model alone, with the
    examples as nearest neighbours only (cosine 0.75), and with the team's own model beside them."""
    from service.checks.base import Example, TeamRules

    languages = load_languages(("en", "ru"))
    model = EtiquetteModel.load()
    vectors = SentenceVectors(embedders.get(model.model))
    nearest, learned = EtiquetteCheck(vectors, model), EtiquetteCheck(vectors, model, languages)
    out = {}
    for code in ("en", "ru"):
        data = yaml.safe_load((EVAL / f"team_{code}.yaml").read_text(encoding="utf-8"))
        rules = TeamRules(never_say=tuple(Example(t) for t in data["never_say"]))
        lang = languages.get(code)
        for name, check, taught in (("model alone", nearest, TeamRules()), ("nearest example", nearest, rules),
                                    ("team model", learned, rules)):
            flagged = lambda texts: sum(bool(check.check(t, lang, CheckContext(rules=taught))) for t in texts)  # noqa: E731
            out[(code, name)] = {"paraphrases": len(data["paraphrases"]),
                                 "caught": flagged(data["paraphrases"]), "clean": len(data["clean"]),
                                 "false_alarms": flagged(data["clean"])}
    return out


def report_team(result: dict) -> list[str]:
    lines = ["Teams teach the check (bench/etiquette/team_*.yaml: a bank's and an internet provider's support team, "
             "8 \"never say\" sentences each, three paraphrases of each said otherwise, 20 replies on the same topics the "
             "team does send; written after the team model's C and line were chosen). *Nearest example*: a sentence "
             "within cosine 0.75 of an example; *team model*: also the team's own logistic regression "
             "(service/checks/team_head.py).", "",
             "| language | how | paraphrases flagged | team's clean replies flagged |", "|---|---|---|---|"]
    for (code, name), r in result.items():
        lines.append(f"| {code} | {name} | **{r['caught']} of {r['paraphrases']}** | {r['false_alarms']} of {r['clean']} |")
    return lines + [""]
