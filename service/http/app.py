"""The Litestar application: the API and the web UI over the resources opened in the lifespan."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

from litestar import Litestar
from litestar.openapi import OpenAPIConfig

from service.core import logs
from service.core.settings import Settings
from service.core.wiring import Resources
from service.http.api import api_router, health
from service.http.deps import DEPENDENCIES
from service.http.errors import HANDLERS
from service.http.ui import template_config, ui_handlers

log = logging.getLogger("tact.app")


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

    return Litestar(
        route_handlers=[health, api_router, *ui_handlers],
        dependencies=DEPENDENCIES,
        lifespan=[lifespan],
        exception_handlers=HANDLERS,
        openapi_config=OpenAPIConfig(title="Tact", version="1.0.0", path="/schema"),
        template_config=template_config,
        request_max_body_size=25 * 1024 * 1024,
        debug=False,
        logging_config=None,  # core.logs owns logging: JSON lines
    )
