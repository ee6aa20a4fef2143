"""Strict JSON decoding for anything a client sends (request bodies, imported exports).

Not UTF-8, a lone UTF-16 surrogate (``"\\ud800"``, which no database or LanguageTool can store or
read), a NUL character (``"\\u0000"``, which PostgreSQL cannot store in text), or nesting deeper
than a bound: the client's mistake, a 400 with a message, never a 500
somewhere downstream.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from service.core.errors import TactError

MAX_DEPTH = 32
# A \\u escape of a surrogate or of NUL: only then can a decoded string hold one.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:[dD][89a-fA-F][0-9a-fA-F]{2}|0000)")


class BadJson(TactError):
    status_code = 400
    code = "bad_request"


def _check(value: Any, max_depth: int, suspect: bool, depth: int = 0) -> None:
    if depth > max_depth:
        raise BadJson(f"the JSON is nested deeper than {max_depth} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            if suspect:
                _check(key, max_depth, suspect, depth + 1)
            _check(item, max_depth, suspect, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, max_depth, suspect, depth + 1)
    elif suspect and isinstance(value, str):
        if "\x00" in value:
            raise BadJson("the JSON has a NUL character (\\u0000) in a string; text cannot hold one")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadJson("the JSON has a lone UTF-16 surrogate (\\ud800-\\udfff) in a string") from None


def decode_json(raw: bytes, max_depth: int = MAX_DEPTH) -> Any:
    try:
        value = msgspec.json.decode(raw or b"null")
    except UnicodeDecodeError:
        raise BadJson("the body is not valid UTF-8") from None
    except msgspec.DecodeError as exc:
        raise BadJson(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise BadJson(f"the JSON is nested deeper than {max_depth} levels") from None
    _check(value, max_depth, suspect=bool(_SUSPECT_ESCAPE.search(raw or b"")))
    return value
