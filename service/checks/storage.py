"""The team rules of the check (banned phrases, switched-off LanguageTool rules) in the database."""

from __future__ import annotations

from service.checks.base import BannedPhrase, TeamRules
from service.core.db import Database, dumps, loads

RULES_KEY = "check_rules"


class RulesStorage:
    def __init__(self, db: Database) -> None:
        self._db = db

    def load(self) -> TeamRules:
        data = loads(self._db.get_value(RULES_KEY), {}) or {}
        return TeamRules(tuple(BannedPhrase(**p) for p in data.get("banned_phrases", [])),
                         frozenset(data.get("disabled_rules", [])))

    def save(self, rules: TeamRules) -> TeamRules:
        self._db.set_value(RULES_KEY, dumps({
            "banned_phrases": [{"phrase": p.phrase, "replacement": p.replacement, "language": p.language,
                                "reason": p.reason} for p in rules.banned_phrases],
            "disabled_rules": sorted(rules.disabled_rules)}))
        return rules
