"""Tiny ASGI apps for the serving-processes tests: each answer names the process that gave it."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] != "http":  # lifespan: nothing to start
        message = await receive()
        while message["type"] != "lifespan.shutdown":
            await send({"type": f"{message['type']}.complete"})
            message = await receive()
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["path"] == "/slow":  # a request still running when the processes are stopped
        await asyncio.sleep(1)
    if scope["path"] == "/busy":  # keeps its process from accepting another connection meanwhile
        time.sleep(1.5)
    if scope["path"] == "/stuck":  # blocks its process's event loop, as a runaway computation would
        time.sleep(30)
    body = str(os.getpid()).encode()
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def broken(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """An app whose start fails, as a service's does when its database cannot be reached."""
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "this app cannot start"})


def _starting_for(seconds: float) -> Callable[[dict[str, Any], Receive, Send], Awaitable[None]]:
    """``app``, whose start blocks its event loop ``seconds``, as importing a service and
    connecting to its database do on a loaded machine."""

    async def starting(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            time.sleep(seconds)
        await app(scope, receive, send)

    return starting


slow_start = _starting_for(20)
never_starts = _starting_for(3600)
