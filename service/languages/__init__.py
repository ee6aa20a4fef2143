"""The language registry: one entry per language, each a folder of resources.

``service/languages/<code>/`` holds ``language.yaml`` (names, detection, LanguageTool code,
default embedding model, BM25 stop words), ``tone.yaml`` (etiquette rules, greeting / closing /
next-step patterns, advice texts) and ``ui.yaml`` (the leads' web UI). Adding a language is adding
such a folder (here or in a folder named by ``TACT_LANGUAGE_DIRS``) and its code to
``TACT_LANGUAGES``. A missing file or key is an error at start: no language ever silently gets
another language's rules or advice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import yaml

from service.core.errors import ValidationFailed

BUILTIN = Path(__file__).resolve().parent
SEVERITIES = ("error", "warning", "info")
ETIQUETTE_CATEGORIES = ("management", "competitor", "argue", "blame", "dismiss", "rude", "confidential", "promise",
                        "sarcasm")
# Politeness strategies each language counts for the learned politeness score (checks/tone.py).
POLITENESS_STRATEGIES = ("gratitude", "please", "apology", "greeting", "hedge", "indirect", "deference",
                         "direct_question", "start_you", "informal_you", "factuality", "negative", "imperative",
                         "exclaim", "question", "caps", "first_plural", "first_singular")
MESSAGE_KEYS = ("caps", "exclamation", "no_greeting", "no_closing", "no_next_step", "greeting_example",
                "closing_example", "team_phrase")
LANGUAGE_KEYS = ("code", "name", "native_name", "lingua", "script", "languagetool", "model", "stopwords", "sample")


class LanguageConfigError(RuntimeError):
    """A language's resources are missing or malformed: the service does not start."""


@dataclass(frozen=True)
class ToneRule:
    id: str
    pattern: str
    reason: str
    rewrite: str
    severity: str = "warning"


@dataclass(frozen=True)
class Structure:
    greeting: str
    closing: str
    next_step: str


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    native_name: str
    lingua: str
    script: str
    languagetool: str | None
    model: str
    stopwords: str | None
    sample: str
    tone_rules: tuple[ToneRule, ...]
    structure: Structure
    acronyms: frozenset[str]
    messages: dict[str, str]
    etiquette: dict[str, dict[str, str]]  # category -> reason, rewrite
    politeness: dict[str, str]  # strategy -> pattern, in POLITENESS_STRATEGIES order
    ui: dict[str, str]
    folder: Path = field(compare=False)
    # what a sentence is about (pattern -> phrase) for an etiquette rewrite's {object}; optional
    etiquette_objects: tuple[tuple[str, str], ...] = ()
    # the sentence model a second reading of the etiquette model's verdicts uses (checks/verifier.py); optional
    etiquette_verifier: str | None = None


def _read(folder: Path, name: str) -> dict:
    path = folder / name
    if not path.is_file():
        raise LanguageConfigError(f"{path} is missing")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise LanguageConfigError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise LanguageConfigError(f"{path} must be a mapping")
    return data


def _require(data: dict, keys, where: Path) -> None:
    missing = [k for k in keys if k not in data]
    if missing:
        raise LanguageConfigError(f"{where}: missing {', '.join(missing)}")


def _regex(pattern: str, where: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise LanguageConfigError(f"{where}: bad regular expression: {exc}") from None
    return pattern


def load_language(folder: Path) -> Language:
    folder = Path(folder)
    meta = _read(folder, "language.yaml")
    _require(meta, LANGUAGE_KEYS, folder / "language.yaml")
    if meta["code"] != folder.name:
        raise LanguageConfigError(f"{folder / 'language.yaml'}: code {meta['code']!r} but the folder is {folder.name}")
    tone = _read(folder, "tone.yaml")
    _require(tone, ("structure", "rules", "messages", "acronyms", "etiquette", "politeness"), folder / "tone.yaml")
    _require(tone["politeness"], POLITENESS_STRATEGIES, Path(f"{folder / 'tone.yaml'} politeness"))
    _require(tone["etiquette"], ETIQUETTE_CATEGORIES, folder / "tone.yaml")
    for category in ETIQUETTE_CATEGORIES:
        _require(tone["etiquette"][category], ("reason", "rewrite"), Path(f"{folder / 'tone.yaml'} etiquette {category}"))
        with_object = tone["etiquette"][category].get("rewrite_object")
        if with_object is not None and "{object}" not in str(with_object):
            raise LanguageConfigError(f"{folder / 'tone.yaml'} etiquette {category}: rewrite_object has no {{object}}")
    objects = tuple((_regex(str(p), f"{folder / 'tone.yaml'} etiquette_objects"), str(phrase))
                    for p, phrase in (tone.get("etiquette_objects") or {}).items())
    _require(tone["structure"], ("greeting", "closing", "next_step"), folder / "tone.yaml")
    _require(tone["messages"], MESSAGE_KEYS, folder / "tone.yaml")
    rules = []
    for n, rule in enumerate(tone["rules"] or []):
        where = f"{folder / 'tone.yaml'} rule {n + 1}"
        _require(rule, ("id", "pattern", "reason"), Path(where))
        if rule.get("severity", "warning") not in SEVERITIES:
            raise LanguageConfigError(f"{where}: severity must be one of {', '.join(SEVERITIES)}")
        rules.append(ToneRule(str(rule["id"]), _regex(rule["pattern"], where), rule["reason"], rule.get("rewrite") or "",
                              rule.get("severity", "warning")))
    ui = _read(folder, "ui.yaml")
    structure = Structure(**{k: _regex(tone["structure"][k], f"{folder / 'tone.yaml'} {k}")
                             for k in ("greeting", "closing", "next_step")})
    return Language(
        code=meta["code"], name=meta["name"], native_name=meta["native_name"], lingua=meta["lingua"],
        script=_regex(meta["script"], f"{folder} script"), languagetool=meta["languagetool"], model=meta["model"],
        stopwords=meta["stopwords"], sample=meta["sample"], tone_rules=tuple(rules), structure=structure,
        acronyms=frozenset(tone["acronyms"] or ()), messages=dict(tone["messages"]),
        etiquette={c: dict(tone["etiquette"][c]) for c in ETIQUETTE_CATEGORIES},
        politeness={k: _regex(str(tone["politeness"][k]), f"{folder / 'tone.yaml'} politeness {k}")
                    for k in POLITENESS_STRATEGIES}, ui=ui, folder=folder, etiquette_objects=objects,
        etiquette_verifier=meta.get("etiquette_verifier") or None)


class LanguageRegistry:
    """The languages this service serves, in order; the first is the default."""

    def __init__(self, languages: list[Language]) -> None:
        if not languages:
            raise LanguageConfigError("no languages configured")
        self._by_code = {lang.code: lang for lang in languages}
        self.codes: tuple[str, ...] = tuple(self._by_code)
        self.default = languages[0]
        ui_keys = set(self.default.ui)
        for lang in languages[1:]:
            if set(lang.ui) != ui_keys:
                missing = sorted(ui_keys - set(lang.ui))
                raise LanguageConfigError(f"{lang.folder / 'ui.yaml'}: missing {', '.join(missing) or 'nothing'}; "
                                          f"extra {', '.join(sorted(set(lang.ui) - ui_keys)) or 'nothing'}")

    def __iter__(self) -> Iterator[Language]:
        return iter(self._by_code.values())

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __len__(self) -> int:
        return len(self._by_code)

    def get(self, code: str) -> Language:
        """The language for an input value; an unknown code is the caller's mistake (422)."""
        found = self._by_code.get(code) if isinstance(code, str) else None
        if found is None:
            raise ValidationFailed(f"unknown language {code!r}; use one of {', '.join(self.codes)}")
        return found


def load_languages(codes: tuple[str, ...] | list[str], extra_dirs: tuple[Path, ...] = ()) -> LanguageRegistry:
    """Each code from the first folder that has it: extra folders first, then the built-in ones."""
    roots = [Path(d) for d in extra_dirs] + [BUILTIN]
    found = []
    for code in codes:
        folder = next((root / code for root in roots if (root / code).is_dir()), None)
        if folder is None:
            raise LanguageConfigError(f"language {code!r} has no resource folder in {', '.join(str(r) for r in roots)}")
        found.append(load_language(folder))
    return LanguageRegistry(found)
