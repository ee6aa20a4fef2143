"""The change log is pruned: entries older than the retention go (never a language's newest), and
each language remembers up to where, so a replica whose index is older than that compares the
whole library instead of trusting a log with a hole in it.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    with op.batch_alter_table("library_state") as batch:
        batch.add_column(sa.Column("log_pruned_through", sa.BigInteger, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("library_state") as batch:
        batch.drop_column("log_pruned_through")
