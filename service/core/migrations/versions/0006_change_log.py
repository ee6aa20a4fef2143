"""A change log replicas follow: one row per changed template and language, in the writing
transaction, numbered by one sequence; per language the numbers are in commit order (writers of a
language queue on its ``library_state`` row before they append).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "template_changes",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("template_id", sa.Integer, nullable=False),
        sa.Column("op", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_template_changes_language_seq", "template_changes", ["language", "seq"])


def downgrade() -> None:
    op.drop_index("ix_template_changes_language_seq", "template_changes")
    op.drop_table("template_changes")
