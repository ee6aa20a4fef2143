"""The leads' web UI (server-rendered). Grows in issue 4; for now it points at the API."""

from litestar import Router, get
from litestar.response import Redirect


@get("/", include_in_schema=False)
async def root() -> Redirect:
    return Redirect(path="/schema/swagger")


ui_router = Router(path="/", route_handlers=[root])
