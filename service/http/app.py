"""The Litestar application: the API and the web UI over the resources opened in the lifespan."""

from __future__ import annotations

import asyncio
import logging
import secrets
from contextlib import asynccontextmanager
from typing import AsyncIterator

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.openapi import OpenAPIConfig

from service.core import logs
from service.core.db import Database
from service.core.settings import Settings
from service.core.types import MIB
from service.core.wiring import Resources
from service.http.api import api_router, health
from service.http.deps import DEPENDENCIES
from service.http.errors import HANDLERS
from service.http.openapi import describe_downloads
from service.http.requests import TactRequest, refuse_nul
from service.http.ui import template_config, ui_handlers

log = logging.getLogger("tact.app")


def _secret(settings: Settings) -> str:
    """The key CSRF tokens are signed with: the same for every replica and across restarts."""
    if settings.secret:
        return settings.secret
    db = Database(settings.db_url)
    try:
        return db.ensure_value("csrf_secret", lambda: secrets.token_urlsafe(32))
    finally:
        db.dispose()


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    logs.configure(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # Loading models and building indexes is CPU and disk work: keep it off the event loop.
        resources = await asyncio.to_thread(Resources.open, settings)
        app.state.resources = resources
        log.info("serving", extra={"host": settings.host, "port": settings.port, "data_dir": str(settings.data_dir)})
        try:
            yield
        finally:
            await asyncio.to_thread(resources.close)

    # Web UI forms carry a CSRF token (SameSite alone let a same-site page post a template); the API
    # uses bearer tokens, which a browser never sends by itself.
    csrf = CSRFConfig(secret=_secret(settings), cookie_samesite="strict", cookie_secure=settings.secure_cookies,
                      exclude=["^/api/", "^/health", "^/schema"])
    app = Litestar(
        route_handlers=[health, api_router, *ui_handlers],
        csrf_config=csrf,
        dependencies=DEPENDENCIES,
        lifespan=[lifespan],
        exception_handlers=HANDLERS,
        openapi_config=OpenAPIConfig(title="Tact", version="1.0.0", path="/schema"),
        template_config=template_config,
        request_max_body_size=1 * MIB,  # web UI forms; the API's routes set their own
        request_class=TactRequest,
        before_request=refuse_nul,
        debug=False,
        logging_config=None,  # core.logs owns logging: JSON lines
    )
    describe_downloads(app.openapi_schema)
    return app
