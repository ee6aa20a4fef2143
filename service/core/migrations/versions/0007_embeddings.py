"""Embeddings stored once, by model and text: a replica that starts, restarts or applies another
replica's change reads vectors that are already computed instead of encoding them again.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "embeddings",
        sa.Column("model", sa.String(200), primary_key=True),
        sa.Column("text_hash", sa.String(40), primary_key=True),
        sa.Column("dim", sa.Integer, nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("embeddings")
