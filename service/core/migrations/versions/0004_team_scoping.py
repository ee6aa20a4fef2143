"""Unanswered messages and suggestions belong to the caller's team, so a lead sees only their own
team's customers in the coverage gaps.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    for table in ("suggestions", "gaps"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("team_id", sa.Integer, nullable=True))
