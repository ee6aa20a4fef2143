"""Value types shared by the wire schemas of several domains."""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter
from msgspec import Meta

# Ids are INTEGER columns: 32-bit on PostgreSQL. Anything outside is the client's mistake (400),
# not an overflow in the database driver (500).
MAX_ID = 2**31 - 1
Id = Annotated[int, Meta(ge=1, le=MAX_ID, description="a positive id")]
PathId = Annotated[int, Parameter(ge=1, le=MAX_ID, description="a positive id")]

KIB = 1024
MIB = 1024 * KIB


def holds_nul(value: object) -> bool:
    """Whether a string, or any string inside lists, tuples and dicts, holds U+0000: PostgreSQL
    cannot store it in text, so nothing that holds it is stored (``core/db.py``)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(holds_nul(v) for v in value)
    return False
