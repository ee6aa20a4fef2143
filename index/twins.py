"""Templates that are the same reply to the same messages: a team's copy of a shared template
(imported from the shared library, maybe adapted: a signature, the team's name in the body) has
the title and the triggers of the original.

Ranked as two, the copies split the classifier's probability between them — for every caller,
since the classifier knows all teams' templates: measured on the starter library (held-out
triggers) with a team's adapted copy of each template, the mean confidence fell 0.387 → 0.204 for
that team and for every other team as well, the share shown as "unsure" rose 0.196 → 0.413, and
98 % of the team's top-3 lists showed a reply twice; with plain copies, "I forgot my password and
the reset link never arrives" fell to 0.26. The index learns from one of each group (the first
seen; what each copy learned from sent replies is learnt under the group too) and ranks one per
caller: its own team's copy before the shared one. Templates without triggers are grouped only
when their text is the same too (a title alone says little)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol


class Content(Protocol):
    template_id: int
    title: str
    text: str
    lead_triggers: tuple[str, ...]


def content_of(document: Content) -> tuple:
    """What makes two templates the same reply to the same messages. The triggers a lead wrote,
    not those learned from sent replies: a team's picks on its copy keep it a copy."""
    if document.lead_triggers:
        return document.title, tuple(document.lead_triggers)
    return document.title, document.text, ()


class Twins:
    """Groups of copies, kept up to date edit by edit. Only groups of two or more
    cost memory beyond one entry per distinct content."""

    def __init__(self) -> None:
        self._first: dict[int, int] = {}  # hash of a content → its canonical template
        self._groups: dict[int, list[int]] = {}  # canonical → every member (itself first), 2 or more
        self._canonical: dict[int, int] = {}  # member that is not canonical → its canonical

    @classmethod
    def of(cls, documents: Iterable[Content], lookup: Callable[[int], Content]) -> Twins:
        twins = cls()
        for document in documents:
            twins.add(document, lookup)
        return twins

    def add(self, document: Content, lookup: Callable[[int], Content]) -> None:
        """``lookup`` gives the current document of a template already added (for the equality
        check behind the hash)."""
        content = content_of(document)
        key = hash(content)
        first = self._first.get(key)
        if first is None:
            self._first[key] = document.template_id
            return
        if first == document.template_id or content_of(lookup(first)) != content:
            return  # the same template again, or another content with the same hash: kept apart
        self._groups.setdefault(first, [first]).append(document.template_id)
        self._canonical[document.template_id] = first

    def discard(self, document: Content) -> None:
        """``document`` as it was added (before an edit replaces it)."""
        template_id = document.template_id
        canonical = self._canonical.pop(template_id, None)
        if canonical is not None:
            group = self._groups[canonical]
            group.remove(template_id)
            if len(group) == 1:
                del self._groups[canonical]
            return
        key = hash(content_of(document))
        if self._first.get(key) != template_id:
            return
        rest = [t for t in self._groups.pop(template_id, [template_id]) if t != template_id]
        if not rest:
            del self._first[key]
            return
        heir = self._first[key] = rest[0]
        self._canonical.pop(heir, None)
        for member in rest[1:]:
            self._canonical[member] = heir
        if len(rest) > 1:
            self._groups[heir] = rest

    def canonical(self, template_id: int) -> int:
        return self._canonical.get(template_id, template_id)

    def is_copy(self, template_id: int) -> bool:
        """A member that is not its group's canonical: left out of what the index learns from."""
        return template_id in self._canonical

    def members(self, template_id: int) -> list[int]:
        return self._groups.get(self.canonical(template_id), [template_id])

    def grouped_among(self, template_ids) -> list[int]:
        """Those of ``template_ids`` (a set-like view) that belong to a group, in no set order."""
        return list((template_ids & self._canonical.keys()) | (template_ids & self._groups.keys()))

    def __len__(self) -> int:
        """Copies beyond the first of each group."""
        return len(self._canonical)
