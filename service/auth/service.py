"""API tokens and web users. Tokens are random, shown once, stored as SHA-256; passwords are
Argon2 hashes."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from service.auth.models import ROLES, Principal
from service.auth.storage import AuthStorage
from service.core.db import aware, utcnow
from service.core.errors import Conflict, Unauthorized, ValidationFailed

TOKEN_PREFIX = "tact_"
# A token seen recently is trusted this long without a database read: keeps /suggest fast.
# Revocation through another process therefore takes effect within this many seconds.
CACHE_SECONDS = 10.0


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES)}")


class TokenService:
    def __init__(self, storage: AuthStorage, bootstrap_token: str | None) -> None:
        self._storage = storage
        self._bootstrap = bootstrap_token
        self._cache: dict[str, tuple[float, Principal]] = {}

    def ensure_team(self, name: str) -> int:
        return self._storage.ensure_team(name)

    def any_token(self) -> bool:
        return self._storage.any_token()

    def create(self, name: str, role: str, team_id: int | None = None, user_id: int | None = None,
               expires_at: dt.datetime | None = None) -> str:
        _check_role(role)
        if team_id is not None and not self._storage.team_exists(team_id):
            raise ValidationFailed(f"there is no team {team_id}")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self._storage.insert_token(name=name, token_hash=hash_token(token), prefix=token[:12], role=role,
                                   team_id=team_id, user_id=user_id, expires_at=expires_at)
        return token

    def revoke(self, token: str) -> None:
        digest = hash_token(token)
        self._cache.pop(digest, None)
        self._storage.revoke_token(digest)

    def authenticate(self, header: str | None) -> Principal:
        if not header or not header.lower().startswith("bearer "):
            raise Unauthorized("send 'Authorization: Bearer <token>'")
        return self.authenticate_token(header[7:].strip())

    def authenticate_token(self, token: str) -> Principal:
        if self._bootstrap and hmac.compare_digest(token.encode(), self._bootstrap.encode()):
            return Principal(name="bootstrap", role="admin")
        digest = hash_token(token)
        cached = self._cache.get(digest)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        row = self._storage.token_by_hash(digest)
        if row is None or row.revoked:
            raise Unauthorized("unknown or revoked token")
        if row.expires_at is not None and aware(row.expires_at) < utcnow():
            raise Unauthorized("the session has expired; sign in again")
        self._storage.touch_token(row.id)
        principal = Principal(name=row.name, role=row.role, team_id=row.team_id, token_id=row.id, user_id=row.user_id)
        self._cache[digest] = (time.monotonic() + CACHE_SECONDS, principal)
        return principal


class UserService:
    """People who sign in to the web UI."""

    SESSION_HOURS = 12

    def __init__(self, storage: AuthStorage, tokens: TokenService) -> None:
        self._storage = storage
        self._tokens = tokens
        self._hasher = PasswordHasher()

    def add(self, email: str, name: str, role: str, password: str, team: str | None = None, language: str = "en") -> int:
        _check_role(role)
        if len(password) < 8:
            raise ValidationFailed("a password needs at least 8 characters")
        team_id = self._storage.ensure_team(team) if team else None
        if self._storage.user_by_email(email.lower()) is not None:
            raise Conflict(f"a user {email} exists already")
        return self._storage.insert_user(email=email.lower(), name=name, password_hash=self._hasher.hash(password),
                                         role=role, team_id=team_id, language=language)

    def login(self, email: str, password: str) -> tuple[str, dict]:
        """A session token for the right password; the same error for any wrong input."""
        row = self._storage.user_by_email((email or "").strip().lower())
        try:
            if row is None or not row.password_hash:
                raise VerifyMismatchError
            self._hasher.verify(row.password_hash, password or "")
        except (VerifyMismatchError, InvalidHashError):
            raise Unauthorized("wrong e-mail or password") from None
        expires = utcnow() + dt.timedelta(hours=self.SESSION_HOURS)
        token = self._tokens.create(row.email, row.role, team_id=row.team_id, user_id=row.id, expires_at=expires)
        return token, {"name": row.name, "email": row.email, "language": row.language}
