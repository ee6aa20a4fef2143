"""Who is calling: a principal with a role and, for team members, a team."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("agent", "lead", "admin")
_RANK = {role: n for n, role in enumerate(ROLES)}


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    team_id: int | None = None
    token_id: int | None = None
    user_id: int | None = None

    def at_least(self, role: str) -> bool:
        return _RANK[self.role] >= _RANK[role]


# Writes made by the service itself (the starter library import).
SYSTEM = Principal(name="starter-library", role="admin")
