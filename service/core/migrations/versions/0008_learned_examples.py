"""The library learns from agents' sent picks: each learned message (a redacted snippet) is kept
with where it came from, so leads can see and undo it; the template row carries the active ones
for the index. Learning can be switched off per team.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.add_column("templates", sa.Column("learned", sa.Text, nullable=False, server_default="[]"))
    op.create_table(
        "learned_examples",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("template_id", sa.Integer, sa.ForeignKey("templates.id"), nullable=False, index=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("team_id", sa.Integer, nullable=True),
        sa.Column("suggestion_id", sa.String(36), nullable=False),
        sa.Column("snippet", sa.Text, nullable=False),
        sa.Column("edit_ratio", sa.Float, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.String(200), nullable=True),
        sa.UniqueConstraint("suggestion_id", "template_id"),
    )
    op.create_table(
        "learning_settings",
        sa.Column("team_key", sa.Integer, primary_key=True),  # the team's id, 0 for agents without a team
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("learning_settings")
    op.drop_table("learned_examples")
    op.drop_column("templates", "learned")
