"""Team policy, in one place: what a principal may read and write.

Roles are checked by route guards (``auth/guards.py``); which *rows* a principal sees is asked here
by the services, both as a Python predicate and as a SQL clause so that filtering and paging
happen in the database.
"""

from __future__ import annotations

import sqlalchemy as sa

from service.auth.models import Principal
from service.core.errors import Forbidden


class TeamPolicy:
    """Admins see everything. Leads see their team's items and the global ones (team ``None``);
    agents see the same but only published templates. A lead writes their own team's items; a
    lead with no team curates the global ones."""

    def can_read(self, principal: Principal, team_id: int | None, status: str = "published") -> bool:
        if principal.role == "admin":
            return True
        same_team = team_id is None or team_id == principal.team_id
        if principal.role == "lead":
            return same_team
        return same_team and status == "published"

    def readable(self, principal: Principal | None, team_column: sa.ColumnElement, status_column: sa.ColumnElement):
        """``can_read`` as a SQL clause over a table's team and status columns."""
        if principal is None or principal.role == "admin":
            return sa.true()
        same_team = team_column.is_(None) if principal.team_id is None else sa.or_(
            team_column.is_(None), team_column == principal.team_id)
        if principal.role == "lead":
            return same_team
        return sa.and_(same_team, status_column == "published")

    def own_team(self, principal: Principal, team_column: sa.ColumnElement):
        """Rows that belong to the principal's own team (team ``None`` for those without one);
        admins see all. For what customers wrote: no global share, unlike templates."""
        if principal.role == "admin":
            return sa.true()
        return team_column.is_(None) if principal.team_id is None else team_column == principal.team_id

    def can_write(self, principal: Principal, team_id: int | None) -> bool:
        if principal.role == "admin":
            return True
        return principal.role == "lead" and team_id == principal.team_id

    def require_write(self, principal: Principal, team_id: int | None, action: str = "change this template") -> None:
        if not self.can_write(principal, team_id):
            raise Forbidden(f"your role cannot {action}")


POLICY = TeamPolicy()
