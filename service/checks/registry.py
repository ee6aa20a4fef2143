"""The checks a draft goes through, in order. Adding a check: write its module (a class with
``name``, ``affects_tone`` and ``check(text, language, context)``) and add one line here.

Order matters for speed, not results: the local checks run first and LanguageTool last. On two
cores, embedding sentences while LanguageTool's Java threads run made both slower (measured 40 ms
for one sentence instead of 1.5 ms), so nothing runs in parallel.
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


CHECKS: list[Callable[[CheckDeps], Check]] = [
    lambda deps: ToneRulesCheck(),
    lambda deps: StructureCheck(),
    lambda deps: TeamPhrasesCheck(),
    lambda deps: PrivacyCheck(deps.settings.internal_url_hosts),
    lambda deps: PlaceholderCheck(),
    # after the rules: a sentence a rule explained keeps the rule's advice
    lambda deps: EtiquetteCheck(deps.vectors, deps.etiquette_model) if deps.etiquette_model is not None else None,
    lambda deps: GrammarCheck(deps.grammar_server) if deps.grammar_server is not None else None,
]


def build_checks(deps: CheckDeps) -> list[Check]:
    return [check for make in CHECKS if (check := make(deps)) is not None]
