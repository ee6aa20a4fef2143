"""Who is calling, and what they may do. API tokens are random, shown once, stored as SHA-256."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from service.errors import Conflict, Forbidden, Unauthorized, ValidationFailed
from service.storage.db import Database, utcnow

ROLES = ("agent", "lead", "admin")
_RANK = {role: n for n, role in enumerate(ROLES)}
TOKEN_PREFIX = "tact_"
# A token seen recently is trusted this long without a database read: keeps /suggest fast.
# Revocation therefore takes effect within this many seconds.
CACHE_SECONDS = 10.0


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    team_id: int | None = None
    token_id: int | None = None
    user_id: int | None = None

    def at_least(self, role: str) -> bool:
        return _RANK[self.role] >= _RANK[role]

    def require(self, role: str) -> None:
        if not self.at_least(role):
            raise Forbidden(f"this needs the {role} role; you are {self.role}")

    def can_read(self, team_id: int | None, status: str) -> bool:
        if self.role == "admin":
            return True
        same_team = team_id is None or team_id == self.team_id
        if self.role == "lead":
            return same_team
        return same_team and status == "published"

    def can_write(self, team_id: int | None) -> bool:
        if self.role == "admin":
            return True
        # A lead curates their own team's templates; a lead with no team curates the global ones.
        return self.role == "lead" and team_id == self.team_id


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, db: Database, bootstrap_token: str | None) -> None:
        self._db = db
        self._bootstrap = bootstrap_token
        self._cache: dict[str, tuple[float, Principal]] = {}

    def ensure_team(self, name: str) -> int:
        teams = self._db.t["teams"]
        with self._db.begin() as conn:
            found = conn.execute(sa.select(teams.c.id).where(teams.c.name == name)).scalar()
            if found is not None:
                return found
            return conn.execute(teams.insert().values(name=name, created_at=utcnow())).inserted_primary_key[0]

    def create(self, name: str, role: str, team_id: int | None = None, user_id: int | None = None,
               expires_at=None) -> str:
        if role not in ROLES:
            raise ValidationFailed(f"role must be one of {', '.join(ROLES)}")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._db.begin() as conn:
            if team_id is not None and conn.execute(
                    sa.select(self._db.t["teams"].c.id).where(self._db.t["teams"].c.id == team_id)).scalar() is None:
                raise ValidationFailed(f"there is no team {team_id}")
            conn.execute(self._db.t["tokens"].insert().values(
                name=name, token_hash=hash_token(token), prefix=token[:12], role=role, team_id=team_id,
                user_id=user_id, revoked=False, created_at=utcnow(), expires_at=expires_at))
        return token

    def revoke(self, token: str) -> None:
        digest = hash_token(token)
        self._cache.pop(digest, None)
        with self._db.begin() as conn:
            conn.execute(self._db.t["tokens"].update().where(self._db.t["tokens"].c.token_hash == digest).values(revoked=True))

    def authenticate(self, header: str | None) -> Principal:
        if not header or not header.lower().startswith("bearer "):
            raise Unauthorized("send 'Authorization: Bearer <token>'")
        token = header[7:].strip()
        if self._bootstrap and hmac.compare_digest(token.encode(), self._bootstrap.encode()):
            return Principal(name="bootstrap", role="admin")
        digest = hash_token(token)
        cached = self._cache.get(digest)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        tokens = self._db.t["tokens"]
        with self._db.begin() as conn:
            row = conn.execute(sa.select(tokens).where(tokens.c.token_hash == digest)).first()
            if row is None or row.revoked:
                raise Unauthorized("unknown or revoked token")
            if row.expires_at is not None and _aware(row.expires_at) < utcnow():
                raise Unauthorized("the session has expired; sign in again")
            conn.execute(tokens.update().where(tokens.c.id == row.id).values(last_used_at=utcnow()))
        principal = Principal(name=row.name, role=row.role, team_id=row.team_id, token_id=row.id, user_id=row.user_id)
        self._cache[digest] = (time.monotonic() + CACHE_SECONDS, principal)
        return principal


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


class UserStore:
    """People who sign in to the web UI. Passwords are hashed with Argon2 (argon2-cffi)."""

    SESSION_HOURS = 12

    def __init__(self, db: Database, tokens: TokenStore) -> None:
        self._db = db
        self._tokens = tokens
        self._hasher = PasswordHasher()

    def add(self, email: str, name: str, role: str, password: str, team: str | None = None, language: str = "en") -> int:
        if role not in ROLES:
            raise ValidationFailed(f"role must be one of {', '.join(ROLES)}")
        if len(password) < 8:
            raise ValidationFailed("a password needs at least 8 characters")
        team_id = self._tokens.ensure_team(team) if team else None
        users = self._db.t["users"]
        with self._db.begin() as conn:
            if conn.execute(sa.select(users.c.id).where(users.c.email == email.lower())).scalar() is not None:
                raise Conflict(f"a user {email} exists already")
            return conn.execute(users.insert().values(
                email=email.lower(), name=name, password_hash=self._hasher.hash(password), role=role, team_id=team_id,
                language=language, created_at=utcnow())).inserted_primary_key[0]

    def login(self, email: str, password: str) -> tuple[str, dict]:
        """A session token for the right password; the same error for any wrong input."""
        users = self._db.t["users"]
        with self._db.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.email == (email or "").strip().lower())).first()
        try:
            if row is None or not row.password_hash:
                raise VerifyMismatchError
            self._hasher.verify(row.password_hash, password or "")
        except (VerifyMismatchError, InvalidHashError):
            raise Unauthorized("wrong e-mail or password") from None
        expires = utcnow() + dt.timedelta(hours=self.SESSION_HOURS)
        token = self._tokens.create(row.email, row.role, team_id=row.team_id, user_id=row.id, expires_at=expires)
        return token, {"name": row.name, "email": row.email, "language": row.language}
