"""The request class of the app: JSON bodies are decoded strictly (``core/jsonbody.py``) before
any handler sees them; a NUL character in a path, query string or form is refused the same way."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.types.empty import Empty

from service.core.jsonbody import BadJson, decode_json

FORM = "application/x-www-form-urlencoded"


class TactRequest(Request):
    async def json(self) -> Any:
        state = self._connection_state
        if self._json is Empty:
            if state.json is not Empty:
                self._json = state.json
            else:
                self._json = state.json = decode_json(await self.body())
        return self._json


async def refuse_nul(request: Request) -> None:
    """``before_request``: U+0000 arrives percent-encoded (a raw NUL never passes the HTTP parser).
    PostgreSQL cannot store it; a search for it was a 500 there. Refused with where it came in;
    the storage layer refuses whatever gets past (``core/db.py``)."""
    for where, raw in (("path", request.scope.get("raw_path") or b""),
                       ("query string", request.scope.get("query_string") or b"")):
        if b"%00" in raw:
            raise BadJson(f"the {where} has a NUL character (%00); text cannot hold one")
    if request.method == "POST" and request.headers.get("content-type", "").startswith(FORM):
        if b"%00" in await request.body():
            raise BadJson("the form has a NUL character (%00); text cannot hold one")
