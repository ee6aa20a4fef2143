"""Dependency providers: the wired resources from app state, the caller found by the guards."""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from service.auth.guards import principal_of
from service.auth.models import Principal
from service.core.wiring import Resources


async def provide_resources(state: State) -> Resources:
    return state.resources


async def provide_principal(request: Request, resources: Resources) -> Principal:
    # ``resources`` only orders it after that one: Litestar resolves independent dependencies
    # concurrently in a task group, a cost on every request for two attribute reads.
    return principal_of(request)


DEPENDENCIES = {"resources": Provide(provide_resources), "principal": Provide(provide_principal)}

ResourcesDep = NamedDependency[Resources]
PrincipalDep = NamedDependency[Principal]
