"""The checks a draft goes through, in order. Adding a check: write its module (a class with
``name``, ``affects_tone`` and ``check(text, language, context)``) and add one line here.

A check marked ``remote`` (LanguageTool) is started first and runs on another thread while the
local ones run in this order, so a draft costs about the slower of the two, not their sum.
Measured on two cores, USE on one BLAS thread (bench/check_bench.py, 1,000-character drafts,
sequential and concurrent alternated in one process after warm-up): full check / bare
LanguageTool 1.33–1.39× → 1.16–1.18× (English), 1.39–1.41× → 1.12–1.15× (Russian). (An earlier
attempt, with the encoder on every core, slowed both sides: 40 ms for one sentence.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from service.checks.base import Check
from service.checks.etiquette import EtiquetteCheck
from service.checks.grammar import GrammarCheck
from service.checks.languagetool import LanguageToolServer
from service.checks.placeholders import PlaceholderCheck
from service.checks.privacy import PrivacyCheck
from service.checks.structure import StructureCheck
from service.checks.team_rules import TeamPhrasesCheck
from service.checks.tone import ToneRulesCheck
from service.core.settings import Settings


@dataclass(frozen=True)
class CheckDeps:
    settings: Settings
    grammar_server: LanguageToolServer | None = None
    etiquette_model: object | None = None  # checks.etiquette.EtiquetteModel
    vectors: object | None = None  # checks.vectors.SentenceVectors for the etiquette model
    languages: object | None = None  # languages.LanguageRegistry: a team's own etiquette model learns from theirs
    verifiers: dict | None = None  # language code -> (checks.verifier.Verifier, its SentenceVectors)


CHECKS: list[Callable[[CheckDeps], Check]] = [
    lambda deps: ToneRulesCheck(),
    lambda deps: StructureCheck(),
    lambda deps: TeamPhrasesCheck(),
    lambda deps: PrivacyCheck(deps.settings.internal_url_hosts),
    lambda deps: PlaceholderCheck(),
    # after the rules: a sentence a rule explained keeps the rule's advice
    lambda deps: EtiquetteCheck(deps.vectors, deps.etiquette_model, deps.languages, deps.verifiers) if deps.etiquette_model is not None else None,
    lambda deps: GrammarCheck(deps.grammar_server) if deps.grammar_server is not None else None,
]


def build_checks(deps: CheckDeps) -> list[Check]:
    return [check for make in CHECKS if (check := make(deps)) is not None]
