"""Server-side sessions: the cookie carries a random id only; tokens, the principal, the CSRF
token and the language stay on the server (ADR 20).

The middleware puts the session's dict in ``scope["session"]`` as Starlette's own session
middleware does, so ``request.session`` works (Authlib keeps its sign-in state there), but
nothing of it travels in the cookie. A session unused for the idle timeout is gone: the next
request starts a fresh, anonymous one, marked as following a lost session (:data:`LOST`) so a
form posted then is kept for after signing in again (:func:`keep_form`, ADR 20).
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
        return self.open(session_id)[0]

    def open(self, session_id: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The session's data (a copy), or None and, when it was idle too long, what it held
        (dropped now: only the lost session's user is read from it)."""
        with self._lock:
            found = self._data.get(session_id)
            if found is None:
                return None, None
            data, last_seen = found
            if self._clock() - last_seen > self._idle:
                del self._data[session_id]
                return None, dict(data)
            self._data[session_id] = (data, self._clock())
            self._data.move_to_end(session_id)
            return dict(data), None

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
        loaded, expired = self._store.open(session_id) if session_id else (None, None)
        scope["session"] = dict(loaded or {})
        before = dict(loaded or {})
        if session_id and loaded is None:  # the cookie names a session the server no longer has
            user = (expired or {}).get("user")
            # Kept in the new anonymous session: the form's page may post a field check
            # (htmx) before the form itself, and that request's answer brings the new cookie.
            scope["session"][LOST] = {"user": user.get("user_id") if isinstance(user, dict) else None}

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
# The new session's key when the browser's cookie named a session that is gone (idle too long,
# or the portal restarted): ``{"user": the lost session's user id, or None when unknown}``.
LOST = "lost_session"

_KEPT = "kept_form"
KEPT_SECONDS = 15 * 60
KEPT_MAX_FIELDS = 200
KEPT_MAX_CHARS = 32_000  # the registration form, filled to every field's limit, is under 5,000


def keep_form(session: dict[str, Any], path: str, fields: list[tuple[str, str]], user_id: str | None) -> None:
    """A form posted after its session was lost, kept (its text fields only) in the new
    anonymous session for the page at ``path`` to draw again once its author signed in. Not a
    form larger than any of the portal's (anyone may post one to a dead session id: the store's
    memory is not theirs to fill)."""
    if len(fields) > KEPT_MAX_FIELDS or sum(len(k) + len(v) for k, v in fields) > KEPT_MAX_CHARS:
        return
    session[_KEPT] = {"path": path, "fields": fields, "user": user_id, "at": time.time()}


def carry_kept_form(old: dict[str, Any], new: dict[str, Any], user_id: str) -> None:
    """Signing in: the kept form follows into the new session if nobody else wrote it (the
    lost session's user, when the server still knew it, is the one signing in)."""
    kept = old.get(_KEPT)
    if isinstance(kept, dict) and kept.get("user") in (None, user_id):
        new[_KEPT] = kept


def has_kept_form(session: dict[str, Any]) -> bool:
    kept = session.get(_KEPT)
    return isinstance(kept, dict) and time.time() - float(kept.get("at", 0)) <= KEPT_SECONDS


def kept_form(session: dict[str, Any], path: str) -> list[tuple[str, str]] | None:
    """The fields kept for the page at ``path`` (taken: shown once), unless too old."""
    kept = session.get(_KEPT)
    if not (isinstance(kept, dict) and kept.get("path") == path):
        return None
    fresh = has_kept_form(session)
    del session[_KEPT]
    return [(str(k), str(v)) for k, v in kept.get("fields", [])] if fresh else None
