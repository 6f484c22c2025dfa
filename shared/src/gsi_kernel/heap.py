"""A serving process's long-lived heap, set aside from the garbage collector once it has started.

By the time a service answers its first request it holds some 150,000–200,000 objects that live
as long as the process: modules, classes, FastAPI's routes and models, SQLAlchemy's metadata,
compiled statements. CPython's full collection walks all of them, and it runs on the thread
that allocated last — the event loop that serves declarations: under load, one full collection
held the loop long enough for every request of that process to wait behind it (ADR 10 and 25
have the figures). :func:`settle` collects once, then moves what survived into the
permanent generation (:func:`gc.freeze`): later collections walk only what the process made
since, which is small. Only objects alive at that point are frozen; the collector still finds
every cycle made afterwards.

:func:`gc_paused` turns the collector off for the length of one bulk computation (a bulk
append, a quarter's verification) that builds many short-lived objects without cycles: the
collector's passes over them would cost as much as building them (ADR 10).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from typing import Any, TypeVar

from fastapi import FastAPI

A = TypeVar("A", bound=FastAPI)


def settle() -> int:
    """Collect, then freeze what is left; return how many objects are now frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def settled_after_start(app: A) -> A:
    """``app``, whose heap is settled once its lifespan has started it (migrations run, workers
    started, caches built). For serving processes only: a test run that starts hundreds of apps
    in one process would freeze each one's objects for good."""
    started: Callable[[Any], AbstractAsyncContextManager[Any]] = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        async with started(application) as state:
            settle()
            yield state

    app.router.lifespan_context = lifespan
    return app


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while inside; the collector is left as it was found (a
    nested pause, or a process that runs with it off, does not turn it back on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
