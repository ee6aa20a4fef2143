"""What every check shares: a ``Finding`` (a span of the draft with a reason and fixes), the
``Check`` protocol, and the per-request ``CheckContext``.

A check is one module with a class that has a ``name`` and ``check(text, language, context)``,
plus one line in ``checks/registry.py``. Offsets in findings are Python string indices (code
points); the service converts them to UTF-16 for the wire.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol

import msgspec

from service.languages import Language

SEVERITIES = ("error", "warning", "info")


class Finding(msgspec.Struct, frozen=True):
    """What a check found; offsets in Python string indices."""

    offset: int
    length: int
    category: str  # grammar, spelling, style, tone, privacy, placeholder
    rule: str
    message: str
    severity: str  # one of SEVERITIES
    replacements: tuple[str, ...] = ()


# ---------------------------------------------------------------- the response (wire; additive changes only)
class Issue(msgspec.Struct):
    offset: int  # UTF-16 code units, as JavaScript counts
    length: int
    category: str
    rule: str
    message: str
    replacements: list[str]
    severity: str


class SentenceTone(msgspec.Struct):
    offset: int
    length: int
    score: float


class Tone(msgspec.Struct):
    score: float
    label: str  # rude, neutral, polite
    sentences: list[SentenceTone]


class CheckResponse(msgspec.Struct):
    language: str
    grammar_available: bool
    issues: list[Issue]
    tone: Tone
    # True when a check ran out of its time budget and part of the text went unchecked
    partial: bool = False



@dataclass(frozen=True)
class BannedPhrase:
    phrase: str
    replacement: str | None = None
    language: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Example:
    """A sentence a team teaches the etiquette check: one never to send (with its category, if
    known), or one that is fine although the check flagged something like it."""

    text: str
    category: str | None = None


@dataclass(frozen=True)
class TeamRules:
    banned_phrases: tuple[BannedPhrase, ...] = ()
    disabled_rules: frozenset[str] = frozenset()
    never_say: tuple[Example, ...] = ()
    fine: tuple[Example, ...] = ()
    competitors: tuple[str, ...] = ()  # names a reply must not praise or recommend


@dataclass
class CheckContext:
    """What a check may know besides the text: who the reply goes to, the team's rules, what the
    checks registered before it found; and where a check reports that it could not run
    (``unavailable``: the response says so)."""

    reply_to: str | None = None
    rules: TeamRules = field(default_factory=TeamRules)
    unavailable: set[str] = field(default_factory=set)
    partial: set[str] = field(default_factory=set)  # checks that ran out of their time budget
    found: list[Finding] = field(default_factory=list)  # what the checks before this one found
    # Set by a remote check once its request is on its way (``CheckService`` sets it when the check
    # returns, for checks that never say): the local checks start after it, not before.
    asked: threading.Event = field(default_factory=threading.Event)


class Check(Protocol):
    name: str
    # Findings of checks that affect tone lower the tone score of the sentence they are in.
    affects_tone: bool
    # Optional: True for a check that mostly waits on another process (LanguageTool). It runs
    # beside the local checks and sees none of their findings (``context.found``).
    # remote: bool

    def check(self, text: str, language: Language, context: CheckContext) -> list[Finding]: ...
