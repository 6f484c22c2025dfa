"""Where a route's work runs: every route is ``async def`` and hands its work to one of two
functions (ADR 29).

- :func:`run_short`: a short command or read — a few statements, its read models written in
  its own transaction (ADR 28), nothing to wait for once it commits — runs on the event loop.
  Handing it to a thread cost more than it saves: under load the GIL then changes hands at every
  wait on PostgreSQL, between the loop and a dozen command threads (ADR 25's A/B: the p99 at a
  fixed rate below saturation). The loop waits for PostgreSQL meanwhile; the service's other
  processes serve. Where writers wait for each other (SQLite: one at a time, and an import's
  transaction lasts seconds) it goes to a thread instead, so that the loop never waits for
  another writer: the edge's layer, installed by ``create_app``, says which for the request
  (:func:`writers_wait`).
- :func:`in_thread`: long work — an import, a bulk export, a file parsed — in the command
  threads, in the request's context (the request's span stays the parent of what it traces),
  minus anyio's per-call bookkeeping (limiter, cancel scope), which showed in the profile of a
  registration (ADR 10).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

_COMMANDS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="command")
# Whether this request's database makes writers wait for each other (:func:`writers_wait`).
_WRITERS_WAIT: contextvars.ContextVar[bool] = contextvars.ContextVar("gsi_writers_wait", default=False)


async def run_short(command: Callable[[], T]) -> T:
    """Run a short blocking ``command`` on the event loop, or in a thread on a database whose
    writers wait for each other (see the module's note)."""
    if _WRITERS_WAIT.get():
        return await in_thread(command)
    return command()


async def in_thread(command: Callable[[], T]) -> T:
    """Run a long blocking ``command`` in the command threads, in this request's context."""
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(_COMMANDS, context.run, command)


def writers_wait() -> contextvars.ContextVar[bool]:
    """Whether the request's database makes writers wait for each other
    (``Database.serialises_writers``): set by the edge's layer (:mod:`.edge_layer`), outermost,
    so that every check of the edge and every route sees it."""
    return _WRITERS_WAIT
