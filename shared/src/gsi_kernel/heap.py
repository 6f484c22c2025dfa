"""A serving process's long-lived heap, set aside from the garbage collector once it has started.

By the time a service answers its first request it holds some 150,000–200,000 objects that live
as long as the process: modules, classes, FastAPI's routes and models, SQLAlchemy's metadata,
compiled statements. CPython's full collection walks all of them, and it runs on the thread
that allocated last — the event loop that serves declarations. Measured on the bench machine
under load, one full collection held the loop for 130–320 ms, and every request of that process
waited behind it (ADR 10). :func:`settle` collects once, then moves what survived into the
permanent generation (:func:`gc.freeze`): later collections walk only what the process made
since, which is small. Only objects alive at that point are frozen; the collector still finds
every cycle made afterwards.

A collection that still holds the process longer than :data:`LONG_PAUSE_S` is logged
(``gc.pause``, with its generation and duration), so that a latency tail can be told apart from
the collector's in production too.

:func:`gc_paused` turns the collector off for the length of one bulk computation (a bulk
append, a quarter's verification) that builds many short-lived objects without cycles: the
collector's passes over them would cost as much as building them (ADR 10).
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from typing import Any, TypeVar

from fastapi import FastAPI

A = TypeVar("A", bound=FastAPI)

log = logging.getLogger(__name__)

LONG_PAUSE_S = 0.05


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
            with watched_collections():
                yield state

    app.router.lifespan_context = lifespan
    return app


class CollectionWatch:
    """A :data:`gc.callbacks` entry that logs each collection longer than ``threshold_s``."""

    def __init__(self, threshold_s: float = LONG_PAUSE_S) -> None:
        self._threshold_s = threshold_s
        self._started: float | None = None

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        if self._started is None:
            return
        seconds, self._started = time.perf_counter() - self._started, None
        if seconds >= self._threshold_s:
            fields = {
                "generation": info["generation"],
                "pause_ms": round(seconds * 1000, 1),
                "collected": info["collected"],
                "frozen": gc.get_freeze_count(),
            }
            log.warning(
                "gc.pause %.0f ms (generation %d)",
                seconds * 1000,
                info["generation"],
                extra={"fields": fields},
            )


@contextmanager
def watched_collections(threshold_s: float = LONG_PAUSE_S) -> Iterator[CollectionWatch]:
    """Log the collections longer than ``threshold_s`` while inside."""
    watch = CollectionWatch(threshold_s)
    gc.callbacks.append(watch)
    try:
        yield watch
    finally:
        gc.callbacks.remove(watch)


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
