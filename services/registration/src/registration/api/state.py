"""Registration's collaborators from the app's state, and the role checks, as *async*
dependencies.

FastAPI runs a plain ``def`` dependency in its thread pool: a thread hop per dependency and per
request, which under load cost more than the lookup itself (ADR 10). An ``async def`` one runs
on the event loop, which suits a dictionary lookup.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, TypeVar

from fastapi import Depends, Request

from gsi_kernel.auth import Principal, Role
from gsi_kernel.http.security import CurrentPrincipal, require_roles

T = TypeVar("T")


def from_state(name: str, kind: type[T]) -> Callable[[Request], Awaitable[T]]:
    """A dependency returning what the composition root put in ``app.state.<name>``."""

    async def get(request: Request) -> T:
        value = getattr(request.app.state, name)
        assert isinstance(value, kind)
        return value

    return get


def _on_the_loop(check: Callable[[Principal], Principal]) -> Callable[[Principal], Awaitable[Principal]]:
    """The kernel's role check, run on the event loop (the principal itself is the router's
    ``authenticate``, which FastAPI runs once per request and shares)."""

    async def checked(principal: CurrentPrincipal) -> Principal:
        return check(principal)

    return checked


OrgUser = Annotated[Principal, Depends(_on_the_loop(require_roles(Role.ORG_STAFF, Role.ORG_MANAGER)))]
"""A user of a partner organization (staff or manager)."""

Reader = Annotated[
    Principal,
    Depends(
        _on_the_loop(require_roles(Role.ORG_STAFF, Role.ORG_MANAGER, Role.MINISTRY_REVIEWER, Role.ADMIN))
    ),
]
"""Any role that may read; what each may see is scoped by organization in the queries."""


# The threads registrations run in. A command blocks on the database, so it leaves the event
# loop; this is the hop FastAPI makes for a plain ``def`` endpoint, minus anyio's per-call
# bookkeeping (limiter, cancel scope), which showed in the profile of a registration (ADR 10).
_COMMANDS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="registration-command")


async def in_thread(command: Callable[[], T]) -> T:
    """Run a blocking ``command`` in the command threads, in this request's context (its span)."""
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(_COMMANDS, context.run, command)
