"""The request class of the app: JSON bodies are decoded strictly (``core/jsonbody.py``) before
any handler sees them."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.types.empty import Empty

from service.core.jsonbody import decode_json


class TactRequest(Request):
    async def json(self) -> Any:
        state = self._connection_state
        if self._json is Empty:
            if state.json is not Empty:
                self._json = state.json
            else:
                self._json = state.json = decode_json(await self.body())
        return self._json
