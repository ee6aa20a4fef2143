"""The Litestar application: thin controllers over resources opened in the lifespan."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

from litestar import Litestar, MediaType, Request, Response
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import OpenAPIConfig

from service import logs
from service.api.check import CheckController
from service.api.deps import provide_principal, provide_resources
from service.api.health import health
from service.api.library import LibraryController
from service.api.suggest import SuggestController
from service.api.templates import TemplateController
from service.errors import TactError
from service.resources import Resources
from service.settings import Settings

log = logging.getLogger("tact.app")


def _error(status: int, code: str, message: str, **extra) -> Response:
    return Response({"error": code, "message": message, **extra}, status_code=status, media_type=MediaType.JSON)


def tact_error_handler(_: Request, exc: TactError) -> Response:
    return Response(exc.to_dict(), status_code=exc.status_code, media_type=MediaType.JSON)


def validation_handler(_: Request, exc: ValidationException) -> Response:
    details = exc.extra if isinstance(exc.extra, list) else []
    parts = [f"{d.get('key') or d.get('source') or 'body'}: {d.get('message')}" for d in details if isinstance(d, dict)]
    message = "; ".join(parts) or str(exc.detail)
    return _error(400, "bad_request", message)


def http_handler(_: Request, exc: HTTPException) -> Response:
    return _error(exc.status_code, "http_error", str(exc.detail))


def internal_handler(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", extra={"path": request.url.path})
    return _error(500, "internal_error", "internal error; the request was not applied")


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

    from service.ui import template_config, ui_handlers  # the leads' web UI

    return Litestar(
        route_handlers=[health, TemplateController, SuggestController, CheckController, LibraryController, *ui_handlers],
        dependencies={"resources": Provide(provide_resources), "principal": Provide(provide_principal)},
        lifespan=[lifespan],
        exception_handlers={TactError: tact_error_handler, ValidationException: validation_handler,
                            HTTPException: http_handler, Exception: internal_handler},
        openapi_config=OpenAPIConfig(title="Tact", version="1.0.0", path="/schema"),
        template_config=template_config,
        request_max_body_size=25 * 1024 * 1024,
        debug=False,
        logging_config=None,  # service.logs owns logging: JSON lines
    )
