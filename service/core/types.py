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
