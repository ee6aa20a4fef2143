"""The team rules of the check (banned phrases, switched-off LanguageTool rules) in the database.

Each team has its own set; a team that never saved one follows the global set (team ``None``),
which admins and leads without a team curate."""

from __future__ import annotations

from service.checks.base import BannedPhrase, Example, TeamRules
from service.core.db import Database, dumps, loads

RULES_KEY = "check_rules"


def _key(team_id: int | None) -> str:
    return RULES_KEY if team_id is None else f"{RULES_KEY}:team:{team_id}"


class RulesStorage:
    def __init__(self, db: Database) -> None:
        self._db = db

    def load(self, team_id: int | None = None) -> TeamRules:
        raw = self._db.get_value(_key(team_id))
        if raw is None and team_id is not None:
            raw = self._db.get_value(_key(None))
        data = loads(raw, {}) or {}
        return TeamRules(tuple(BannedPhrase(**p) for p in data.get("banned_phrases", [])),
                         frozenset(data.get("disabled_rules", [])),
                         tuple(Example(**e) for e in data.get("never_say", [])),
                         tuple(Example(**e) for e in data.get("fine", [])),
                         tuple(data.get("competitors", [])))

    def save(self, rules: TeamRules, team_id: int | None = None) -> TeamRules:
        self._db.set_value(_key(team_id), dumps({
            "banned_phrases": [{"phrase": p.phrase, "replacement": p.replacement, "language": p.language,
                                "reason": p.reason} for p in rules.banned_phrases],
            "disabled_rules": sorted(rules.disabled_rules),
            "never_say": [{"text": e.text, "category": e.category} for e in rules.never_say],
            "fine": [{"text": e.text, "category": e.category} for e in rules.fine],
            "competitors": list(rules.competitors)}))
        return rules
