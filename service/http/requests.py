"""The request class of the app: JSON bodies are decoded strictly, before any handler sees them.

Bodies that are not UTF-8, that carry lone UTF-16 surrogates (``"\\ud800"``, which no database or
LanguageTool can store or read), or that nest deeper than ``MAX_DEPTH`` are the client's mistake:
400 with a message, never a 500 somewhere downstream.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request
from litestar.types.empty import Empty

from service.core.errors import TactError

MAX_DEPTH = 32
# A \\u escape of a surrogate: only then can a decoded string hold one.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class BadBody(TactError):
    status_code = 400
    code = "bad_request"


def _check(value: Any, depth: int = 0, surrogates: bool = False) -> None:
    if depth > MAX_DEPTH:
        raise BadBody(f"the JSON body is nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            if surrogates:
                _check(key, depth + 1, surrogates)
            _check(item, depth + 1, surrogates)
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1, surrogates)
    elif surrogates and isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadBody("the JSON body has a lone UTF-16 surrogate (\\ud800-\\udfff) in a string") from None


def decode_json_body(body: bytes) -> Any:
    try:
        value = msgspec.json.decode(body or b"null")
    except UnicodeDecodeError:
        raise BadBody("the body is not valid UTF-8") from None
    except msgspec.DecodeError as exc:
        raise BadBody(f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise BadBody(f"the JSON body is nested deeper than {MAX_DEPTH} levels") from None
    _check(value, surrogates=bool(_SURROGATE_ESCAPE.search(body)))
    return value


class TactRequest(Request):
    async def json(self) -> Any:
        state = self._connection_state
        if self._json is Empty:
            if state.json is not Empty:
                self._json = state.json
            else:
                self._json = state.json = decode_json_body(await self.body())
        return self._json
