"""Keep a redacted snippet of each suggested-for message, so leads can promote picked ones to
triggers; cleared with the same retention as coverage gaps.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("suggestions") as batch:
        batch.add_column(sa.Column("snippet", sa.Text, nullable=True))
    op.create_index("ix_suggestions_created_at", "suggestions", ["created_at"])
    op.create_index("ix_gaps_created_at", "gaps", ["created_at"])
