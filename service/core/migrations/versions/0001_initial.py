"""Initial schema: templates with versions, users/teams/tokens, suggestions and feedback, gaps, rules.

The service reflects tables from the database after migrating, so this file is the one place
that states the schema.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        _ts("created_at"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=True),
        sa.Column("language", sa.String(8), nullable=False, server_default="en"),
        _ts("created_at"),
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
        _ts("created_at"),
        _ts("last_used_at", nullable=True),
    )
    op.create_table(
        "templates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("language", sa.String(8), nullable=False, index=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("triggers", sa.Text, nullable=False, server_default="[]"),
        sa.Column("tags", sa.Text, nullable=False, server_default="[]"),
        sa.Column("shortcut", sa.String(64), nullable=True),
        sa.Column("status", sa.String(20), nullable=False, server_default="published"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=True),
        sa.Column("translation_group", sa.String(64), nullable=True, index=True),
        sa.Column("source_key", sa.String(300), nullable=True, unique=True),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("updated_by", sa.String(200), nullable=True),
        _ts("created_at"),
        _ts("updated_at"),
        _ts("deleted_at", nullable=True),
    )
    op.create_table(
        "template_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("template_id", sa.Integer, sa.ForeignKey("templates.id"), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("snapshot", sa.Text, nullable=False),
        sa.Column("changed_fields", sa.Text, nullable=False, server_default="[]"),
        sa.Column("author", sa.String(200), nullable=True),
        _ts("created_at"),
        sa.UniqueConstraint("template_id", "version"),
    )
    op.create_table(
        "library_state",
        sa.Column("language", sa.String(8), primary_key=True),
        sa.Column("revision", sa.Integer, nullable=False, server_default="0"),
        _ts("updated_at"),
    )
    op.create_table(
        "suggestions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("template_ids", sa.Text, nullable=False),
        sa.Column("no_match", sa.Boolean, nullable=False),
        sa.Column("top_score", sa.Float, nullable=True),
        sa.Column("token_id", sa.Integer, nullable=True),
        _ts("created_at"),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("suggestion_id", sa.String(36), sa.ForeignKey("suggestions.id"), nullable=False, index=True),
        sa.Column("template_id", sa.Integer, nullable=False, index=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("rank", sa.Integer, nullable=True),
        sa.Column("edit_ratio", sa.Float, nullable=True),
        _ts("created_at"),
    )
    op.create_table(
        "gaps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("snippet", sa.Text, nullable=False),
        sa.Column("embedding", sa.LargeBinary, nullable=False),
        sa.Column("top_score", sa.Float, nullable=True),
        _ts("created_at"),
    )
    op.create_table(
        "settings_kv",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        _ts("updated_at"),
    )
