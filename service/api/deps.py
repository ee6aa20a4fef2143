"""Dependency providers: resources from app state, the caller from its bearer token."""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from service.auth import Principal
from service.resources import Resources


async def provide_resources(state: State) -> Resources:
    return state.resources


async def provide_principal(request: Request, resources: NamedDependency[Resources]) -> Principal:
    return resources.tokens.authenticate(request.headers.get("authorization"))


ResourcesDep = NamedDependency[Resources]
PrincipalDep = NamedDependency[Principal]
