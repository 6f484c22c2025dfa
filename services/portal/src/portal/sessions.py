"""Server-side sessions: the cookie carries a random id only; tokens, the principal, the CSRF
token and the language stay on the server (ADR 20).

The middleware puts the session's dict in ``scope["session"]`` as Starlette's own session
middleware does, so ``request.session`` works (Authlib keeps its sign-in state there), but
nothing of it travels in the cookie. A session unused for the idle timeout is gone: the next
request starts a fresh, anonymous one.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Clock = Callable[[], float]


class SessionStore:
    """Sessions in this process's memory, least recently used first; bounded in number.

    One serving process holds them (the portal runs one): several processes would share a store
    such as Redis behind this same interface."""

    def __init__(self, *, idle_seconds: float, max_count: int, clock: Clock = time.monotonic) -> None:
        self._idle = idle_seconds
        self._max = max_count
        self._clock = clock
        self._data: OrderedDict[str, tuple[dict[str, Any], float]] = OrderedDict()
        self._lock = threading.Lock()

    def load(self, session_id: str) -> dict[str, Any] | None:
        """The session's data (a copy), or None when unknown or idle too long."""
        with self._lock:
            found = self._data.get(session_id)
            if found is None:
                return None
            data, last_seen = found
            if self._clock() - last_seen > self._idle:
                del self._data[session_id]
                return None
            self._data[session_id] = (data, self._clock())
            self._data.move_to_end(session_id)
            return dict(data)

    def save(self, session_id: str, data: dict[str, Any]) -> None:
        with self._lock:
            self._data[session_id] = (dict(data), self._clock())
            self._data.move_to_end(session_id)
            while len(self._data) > self._max:
                self._data.popitem(last=False)

    def delete(self, session_id: str) -> None:
        with self._lock:
            self._data.pop(session_id, None)

    @staticmethod
    def new_id() -> str:
        return secrets.token_urlsafe(32)


class ServerSessionMiddleware:
    """Loads the session named by the cookie into ``scope["session"]``; after the response,
    saves it (and sets the cookie) when it changed, or drops it when emptied."""

    def __init__(self, app: ASGIApp, *, store: SessionStore, cookie: str, secure: bool) -> None:
        self._app = app
        self._store = store
        self._cookie = cookie
        # No Max-Age: the cookie ends with the browser; the server ends the session when idle.
        self._flags = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self._app(scope, receive, send)
            return
        session_id = HTTPConnection(scope).cookies.get(self._cookie)
        loaded = self._store.load(session_id) if session_id else None
        scope["session"] = dict(loaded or {})
        before = dict(loaded or {})

        async def send_with_cookie(message: Message) -> None:
            nonlocal session_id
            if message["type"] == "http.response.start":
                session: dict[str, Any] = scope["session"]
                headers = MutableHeaders(scope=message)
                if session.pop(ROTATE, False) and session_id:
                    # Signing in: a new id, so an id planted before sign-in is worth nothing.
                    self._store.delete(session_id)
                    session_id = None
                if session and (session != before or session_id is None or loaded is None):
                    session_id = session_id if loaded is not None and session_id else self._store.new_id()
                    self._store.save(session_id, session)
                    headers.append("Set-Cookie", f"{self._cookie}={session_id}{self._flags}")
                elif not session and session_id:
                    self._store.delete(session_id)
                    headers.append("Set-Cookie", f"{self._cookie}=; Max-Age=0{self._flags}")
            await send(message)

        await self._app(scope, receive, send_with_cookie)


# A key a handler sets in the session to get a fresh session id in this response.
ROTATE = "_rotate"
