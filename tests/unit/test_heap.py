"""A serving process settles its heap once started: full collections then walk only what it
made since (gsi_kernel.heap; ADR 10)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gsi_kernel.heap import gc_paused, settle, settled_after_start


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def _frozen(thing: object) -> bool:
    return not any(o is thing for o in gc.get_objects())


def test_settle_freezes_what_is_alive_and_leaves_later_cycles_collectable(thawed: None) -> None:
    before = Node()
    assert not _frozen(before)

    frozen = settle()

    assert frozen == gc.get_freeze_count() > 0
    assert _frozen(before)
    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b
    gc.collect()
    assert gone() is None, "a cycle made after settling is still collected"


def test_served_app_settles_its_heap_once_its_own_lifespan_has_started(thawed: None) -> None:
    seen: list[str] = []

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        seen.append(f"started, frozen {gc.get_freeze_count()}")
        yield
        seen.append("stopped")

    app = settled_after_start(FastAPI(lifespan=lifespan))

    @app.get("/ping")
    def ping() -> dict[str, int]:
        return {"frozen": gc.get_freeze_count()}

    with TestClient(app) as client:
        served = client.get("/ping").json()
    assert seen == ["started, frozen 0", "stopped"]
    assert served["frozen"] > 0


def test_gc_paused_turns_the_collector_off_inside_and_back_on_after_even_on_error() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()

    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_gc_paused_leaves_the_collector_off_when_it_found_it_off() -> None:
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled(), "the inner pause does not end the outer one"
    assert gc.isenabled()
