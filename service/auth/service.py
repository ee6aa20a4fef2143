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
from service.auth.throttle import LoginThrottle
from service.core.db import aware, utcnow
from service.core.errors import Conflict, NotFound, Unauthorized, ValidationFailed

TOKEN_PREFIX = "tact_"
# Every request reads its token (one indexed SELECT, so a revocation anywhere takes effect at once);
# its last use is written at most this often, so requests do not each cost a write.
TOUCH_SECONDS = 60.0


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES)}")


class TokenService:
    def __init__(self, storage: AuthStorage, bootstrap_token: str | None) -> None:
        self._storage = storage
        self._bootstrap = bootstrap_token
        self._touched: dict[int, float] = {}

    def ensure_team(self, name: str) -> int:
        return self._storage.ensure_team(name)

    def any_token(self) -> bool:
        return self._storage.any_token()

    def create(self, name: str, role: str, team_id: int | None = None, user_id: int | None = None,
               expires_at: dt.datetime | None = None) -> str:
        return self.issue(name, role, team_id, user_id, expires_at)[1]

    def issue(self, name: str, role: str, team_id: int | None = None, user_id: int | None = None,
              expires_at: dt.datetime | None = None) -> tuple[int, str]:
        """(id, token): the token is shown once; only its hash is stored."""
        _check_role(role)
        if team_id is not None and not self._storage.team_exists(team_id):
            raise ValidationFailed(f"there is no team {team_id}")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_id = self._storage.insert_token(name=name, token_hash=hash_token(token), prefix=token[:12], role=role,
                                              team_id=team_id, user_id=user_id, expires_at=expires_at)
        return token_id, token

    def revoke(self, token: str) -> None:
        self._storage.revoke_token(hash_token(token))

    def revoke_id(self, token_id: int) -> None:
        if not self._storage.revoke_token_id(token_id):
            raise NotFound(f"token {token_id} does not exist")

    def list(self, include_revoked: bool = False) -> list[dict]:
        """Tokens without their secrets: the prefix identifies one."""
        return [{"id": r.id, "name": r.name, "prefix": r.prefix, "role": r.role, "team_id": r.team_id,
                 "user_id": r.user_id, "revoked": bool(r.revoked), "created_at": aware(r.created_at),
                 "last_used_at": aware(r.last_used_at), "expires_at": aware(r.expires_at)}
                for r in self._storage.list_tokens(include_revoked)]

    def authenticate(self, header: str | None) -> Principal:
        if not header or not header.lower().startswith("bearer "):
            raise Unauthorized("send 'Authorization: Bearer <token>'")
        return self.authenticate_token(header[7:].strip())

    def authenticate_token(self, token: str) -> Principal:
        if self._bootstrap and hmac.compare_digest(token.encode(), self._bootstrap.encode()):
            return Principal(name="bootstrap", role="admin")
        row = self._storage.token_by_hash(hash_token(token))
        if row is None or row.revoked:
            raise Unauthorized("unknown or revoked token")
        if row.expires_at is not None and aware(row.expires_at) < utcnow():
            raise Unauthorized("the token has expired" if row.user_id is None else "the session has expired; sign in again")
        now = time.monotonic()
        if now - self._touched.get(row.id, -TOUCH_SECONDS) >= TOUCH_SECONDS:
            self._touched[row.id] = now
            self._storage.touch_token(row.id)
        return Principal(name=row.name, role=row.role, team_id=row.team_id, token_id=row.id, user_id=row.user_id)


class UserService:
    """People who sign in to the web UI."""

    SESSION_HOURS = 12

    def __init__(self, storage: AuthStorage, tokens: TokenService, throttle: LoginThrottle | None = None) -> None:
        self._storage = storage
        self._tokens = tokens
        self._hasher = PasswordHasher()
        self.throttle = throttle or LoginThrottle()
        self._dummy_hash: str | None = None  # verified against for unknown e-mails: same timing

    def add(self, email: str, name: str, role: str, password: str, team: str | None = None, language: str = "en") -> int:
        _check_role(role)
        if len(password) < 8:
            raise ValidationFailed("a password needs at least 8 characters")
        team_id = self._storage.ensure_team(team) if team else None
        if self._storage.user_by_email(email.lower()) is not None:
            raise Conflict(f"a user {email} exists already")
        return self._storage.insert_user(email=email.lower(), name=name, password_hash=self._hasher.hash(password),
                                         role=role, team_id=team_id, language=language)

    def login(self, email: str, password: str, client: str = "") -> tuple[str, dict]:
        """A session token for the right password; the same error, after the same work, for any
        wrong input; 429 once an e-mail or a client address has failed too often."""
        email = (email or "").strip().lower()[:320]
        keys = (f"email:{email}", f"client:{client}")
        self.throttle.check(*keys)
        row = self._storage.user_by_email(email)
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        try:
            known = row is not None and bool(row.password_hash)
            self._hasher.verify(row.password_hash if known else self._dummy_hash, password or "")
            if not known:
                raise VerifyMismatchError
        except (VerifyMismatchError, InvalidHashError):
            self.throttle.failed(*keys)
            raise Unauthorized("wrong e-mail or password") from None
        self.throttle.succeeded(keys[0])
        expires = utcnow() + dt.timedelta(hours=self.SESSION_HOURS)
        token = self._tokens.create(row.email, row.role, team_id=row.team_id, user_id=row.id, expires_at=expires)
        return token, {"name": row.name, "email": row.email, "language": row.language}
