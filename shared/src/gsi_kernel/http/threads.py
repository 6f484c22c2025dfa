"""Running a blocking command off the event loop, in the request's context.

A command blocks on the database, so it leaves the event loop; this is the hop FastAPI makes for
a plain ``def`` endpoint, minus anyio's per-call bookkeeping (limiter, cancel scope), which
showed in the profile of a registration (ADR 10). The context travels with it: the request's
span stays the parent of what the command traces.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

_COMMANDS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="command")


async def in_thread(command: Callable[[], T]) -> T:
    """Run a blocking ``command`` in the command threads, in this request's context."""
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(_COMMANDS, context.run, command)
