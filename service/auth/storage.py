"""Teams, users and API tokens in the database: the tables and every query on them."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Row

from service.core.db import Database, metadata, timestamp, utcnow

teams = sa.Table(
    "teams", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    timestamp("created_at"),
)

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=True),
    sa.Column("language", sa.String(8), nullable=False, server_default="en"),
    timestamp("created_at"),
)

tokens = sa.Table(
    "tokens", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
    sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
    timestamp("created_at"),
    timestamp("last_used_at", nullable=True),
    timestamp("expires_at", nullable=True),
)


class AuthStorage:
    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------------ teams
    def ensure_team(self, name: str) -> int:
        with self._db.begin() as conn:
            found = conn.execute(sa.select(teams.c.id).where(teams.c.name == name)).scalar()
            if found is not None:
                return found
            return conn.execute(teams.insert().values(name=name, created_at=utcnow())).inserted_primary_key[0]

    def team_exists(self, team_id: int) -> bool:
        with self._db.connect() as conn:
            return conn.execute(sa.select(teams.c.id).where(teams.c.id == team_id)).scalar() is not None

    # ------------------------------------------------------------------ tokens
    def insert_token(self, *, name: str, token_hash: str, prefix: str, role: str, team_id: int | None,
                     user_id: int | None, expires_at: dt.datetime | None) -> int:
        with self._db.begin() as conn:
            return conn.execute(tokens.insert().values(
                name=name, token_hash=token_hash, prefix=prefix, role=role, team_id=team_id, user_id=user_id,
                revoked=False, created_at=utcnow(), expires_at=expires_at)).inserted_primary_key[0]

    def token_by_hash(self, token_hash: str) -> Row | None:
        with self._db.connect() as conn:
            return conn.execute(sa.select(tokens).where(tokens.c.token_hash == token_hash)).first()

    def touch_token(self, token_id: int) -> None:
        with self._db.begin() as conn:
            conn.execute(tokens.update().where(tokens.c.id == token_id).values(last_used_at=utcnow()))

    def revoke_token(self, token_hash: str) -> None:
        with self._db.begin() as conn:
            conn.execute(tokens.update().where(tokens.c.token_hash == token_hash).values(revoked=True))

    def revoke_token_id(self, token_id: int) -> bool:
        with self._db.begin() as conn:
            return conn.execute(tokens.update().where(tokens.c.id == token_id).values(revoked=True)).rowcount > 0

    def list_tokens(self, include_revoked: bool = False) -> list[Row]:
        query = sa.select(tokens).order_by(tokens.c.id)
        if not include_revoked:
            query = query.where(tokens.c.revoked.is_(False))
        with self._db.connect() as conn:
            return conn.execute(query).all()

    def any_token(self) -> bool:
        with self._db.connect() as conn:
            return conn.execute(sa.select(tokens.c.id).limit(1)).first() is not None

    # ------------------------------------------------------------------ users
    def user_by_email(self, email: str) -> Row | None:
        with self._db.connect() as conn:
            return conn.execute(sa.select(users).where(users.c.email == email)).first()

    def insert_user(self, *, email: str, name: str, password_hash: str, role: str, team_id: int | None,
                    language: str) -> int:
        with self._db.begin() as conn:
            return conn.execute(users.insert().values(
                email=email, name=name, password_hash=password_hash, role=role, team_id=team_id, language=language,
                created_at=utcnow())).inserted_primary_key[0]
