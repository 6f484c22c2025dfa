"""Where a blocking command runs: off the event loop, in the request's context, or — a short
one — on the event loop itself.

- :func:`in_thread`: the hop FastAPI makes for a plain ``def`` endpoint, minus anyio's per-call
  bookkeeping (limiter, cancel scope), which showed in the profile of a registration (ADR 10).
  The context travels with it: the request's span stays the parent of what the command traces.
- :func:`run_short`: for a short command that never waits on another request — a few
  statements on one stream, its read models written in its own transaction (ADR 16), no
  read-your-writes polling — on the event loop. Handing it to a thread cost more than it saves:
  under load the GIL then changes hands at every wait on PostgreSQL, between the loop and a
  dozen command threads (measured on declarations at 200/s: p99 ~370 ms in threads, ~25 ms on
  the loop, and a third less CPU in the kernel, ADR 10). The loop waits for PostgreSQL
  meanwhile; the service's other processes serve. Where writers wait for each other (SQLite:
  one at a time, and an import's transaction lasts seconds) it still goes to a thread, so that
  the loop never waits for another writer.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from gsi_kernel.store.database import Database

T = TypeVar("T")

_COMMANDS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="command")


async def run_short(command: Callable[[], T], *, db: Database) -> T:
    """Run a short blocking ``command`` on the event loop, or in a thread on a database whose
    writers wait for each other (see the module's note)."""
    if db.serialises_writers:
        return await in_thread(command)
    return command()


async def in_thread(command: Callable[[], T]) -> T:
    """Run a blocking ``command`` in the command threads, in this request's context."""
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(_COMMANDS, context.run, command)
