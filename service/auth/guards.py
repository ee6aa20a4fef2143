"""Route guards: authentication and roles are declared on routes, never checked in handler bodies.

``authenticated`` runs before the body is read or parsed, so a request without a valid token gets
401 whatever it carries. The principal it finds is kept on the connection for ``requires`` and for
the handlers (``http/deps.py``).
"""

from __future__ import annotations

from typing import Callable

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from service.auth.models import Principal
from service.core.errors import Forbidden, SignInRequired, Unauthorized

SESSION_COOKIE = "tact_session"

Guard = Callable[[ASGIConnection, BaseRouteHandler], None]


def principal_of(connection: ASGIConnection) -> Principal:
    principal = connection.state.get("principal")
    if principal is None:
        raise Unauthorized("send 'Authorization: Bearer <token>'")
    return principal


def authenticated(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """API: a bearer token."""
    resources = connection.app.state.resources
    principal = resources.tokens.authenticate(connection.headers.get("authorization"))
    resources.rate_limiter.hit(f"token:{principal.token_id or principal.name}")
    connection.state.principal = principal


def requires(role: str) -> Guard:
    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        principal = principal_of(connection)
        if not principal.at_least(role):
            raise Forbidden(f"this needs the {role} role; you are {principal.role}")

    guard.__name__ = f"requires_{role}"
    return guard


def session_principal(connection: ASGIConnection) -> Principal | None:
    """The lead signed in to the web UI through the session cookie, if any."""
    token = connection.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        principal = connection.app.state.resources.tokens.authenticate_token(token)
    except Unauthorized:
        return None
    return principal if principal.at_least("lead") else None


def signed_in(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Web UI: a lead's session cookie; otherwise the error mapper sends the browser to sign in."""
    principal = session_principal(connection)
    if principal is None:
        raise SignInRequired("sign in first")
    connection.state.principal = principal
