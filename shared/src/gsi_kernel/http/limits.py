"""Limits at the HTTP edge, before a request reaches a route: the body size, each user's
request rate, and how many requests run at once and how long one may wait to start
(:class:`Slots`). The edge's one ASGI layer (:mod:`.edge_layer`) applies them.

Body size: a body larger than the route's limit is refused with 413 ``request.too_large`` —
at once when ``Content-Length`` announces it, otherwise as soon as the bytes read pass the limit
(the route then sees a disconnected client, and whatever it answers is dropped). Routes that
receive files have a larger limit; a service can set any route's own (see ``create_app``).

Rate: per user (the token's subject, verified) or, without a valid token, per client address;
reads (GET, HEAD) and writes (every other method) have their own budget. Over budget: 429
``request.rate_limited`` with ``Retry-After``. Counted with the ``limits`` library (sliding
window counter), in the process's memory by default: with several processes or replicas, give
them a shared storage (``rate_limit_storage=redis://…``), or each allows the whole budget.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from fastapi import params
from fastapi.routing import iter_route_contexts
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter
from starlette.routing import BaseRoute
from starlette.types import Scope, Send

from gsi_kernel.auth import TokenVerifier
from gsi_kernel.errors import GsiError
from gsi_kernel.http.errors import error_response
from gsi_kernel.store import deadline

READ_METHODS = frozenset({"GET", "HEAD"})
UNLIMITED_PATHS = frozenset({"/health", "/ready", "/metrics"})  # probes and Prometheus's scrapes


@dataclass(frozen=True)
class RouteLimit:
    """A route whose body may be larger (or must be smaller) than the service's default."""

    path: str
    pattern: re.Pattern[str]
    methods: frozenset[str]
    max_bytes: int


def route_limits(
    routes: Sequence[BaseRoute], *, upload_max_bytes: int, overrides: Mapping[str, int]
) -> list[RouteLimit]:
    """The routes that do not take the service's default limit, the first that applies of:
    ``overrides`` (by path template, e.g. ``{"/imports": 100 * 2**20}``), the route's own
    ``max_body_size`` (FastAPI's decorator argument), ``upload_max_bytes`` for a route that
    receives a file."""
    found = []
    for route in iter_route_contexts(routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None or route.path is None:
            continue  # not an API operation (documentation pages, mounts)
        limit = overrides.get(route.path, getattr(route, "max_body_size", None))
        if limit is None and _receives_a_file(dependant):
            limit = upload_max_bytes
        if limit is not None:
            found.append(RouteLimit(route.path, route.path_regex, frozenset(route.methods or ()), limit))
    unknown = set(overrides) - {r.path for r in found}
    if unknown:
        raise ValueError(f"body limits for paths no route has: {sorted(unknown)}")
    return found


def _receives_a_file(dependant: Any) -> bool:
    return any(isinstance(f.field_info, params.File) for f in dependant.body_params)


def too_large(limit: int) -> GsiError:
    return GsiError(
        "request.too_large",
        f"Requête trop volumineuse : la limite est de {_size(limit, 'octets', 'Mo', 'Ko')}.",
        f"Request too large: the limit is {_size(limit, 'bytes', 'MB', 'KB')}.",
        details={"limit_bytes": limit},
    )


def _size(n: int, unit: str, mega: str, kilo: str) -> str:
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} {mega}"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} {kilo}"
    return f"{n} {unit}"


async def refuse(send: Send, error: GsiError, status: int, headers: Mapping[str, str] | None = None) -> None:
    """Answer ``error`` with ``status`` (and ``headers``) through ``send``."""
    response = error_response(status, error.code, error.fr, error.en, error.details)
    response.headers.update(headers or {})
    await send({"type": "http.response.start", "status": status, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


class BodyLimits:
    """Each route's body limit: the route's own (:func:`route_limits`), else ``max_bytes``."""

    def __init__(self, *, max_bytes: int, routes: list[RouteLimit]) -> None:
        self._max_bytes = max_bytes
        self._routes = routes

    def limit_for(self, method: str, path: str) -> int:
        for route in self._routes:
            if method in route.methods and route.pattern.match(path):
                return route.max_bytes
        return self._max_bytes


class RateLimiter:
    def __init__(self, *, reads: str, writes: str, storage: str) -> None:
        self._reads = parse_many(reads)
        self._writes = parse_many(writes)
        self._storage = storage_from_string(storage)
        self._limiter = SlidingWindowCounterRateLimiter(self._storage)
        # The in-memory storage answers in microseconds; a remote one is asked from a thread.
        self._local = storage.startswith("memory://")

    async def refusal(self, scope: Scope) -> tuple[GsiError, dict[str, str]] | None:
        """The 429's error and headers if the caller is over its budget, else None (counted)."""
        if scope["method"] == "OPTIONS" or scope["path"] in UNLIMITED_PATHS:
            return None
        read = scope["method"] in READ_METHODS
        items, kind = (self._reads, "read") if read else (self._writes, "write")
        who = caller(scope)
        refused = await self._run(lambda: self._over(items, who, kind))
        if refused is None:
            return None
        item, retry_after = refused
        return rate_limited(str(item), retry_after), {"Retry-After": str(retry_after)}

    async def _run(self, check: Callable[[], tuple[RateLimitItem, int] | None]) -> Any:
        if self._local:
            return check()
        return await anyio.to_thread.run_sync(check)

    def _over(self, items: list[RateLimitItem], who: str, kind: str) -> tuple[RateLimitItem, int] | None:
        """The first limit ``who`` is over (and the seconds until a request is allowed again)."""
        for item in items:
            if not self._limiter.hit(item, who, kind):
                reset_at = self._limiter.get_window_stats(item, who, kind).reset_time
                return item, max(1, math.ceil(reset_at - time.time()))
        return None


def caller(scope: Scope) -> str:
    """Who sends the request: the verified token's user, else the client's address."""
    token = _bearer_token(scope)
    if token:
        verifier: TokenVerifier = scope["app"].state.verifier
        try:  # the verifier remembers tokens it verified: no signature check per request
            return f"user:{verifier.verify(token).user_id}"
        except GsiError:
            pass  # the route answers 401; until then the request counts for its address
    client = scope.get("client")
    return f"address:{client[0] if client else 'unknown'}"


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None


def rate_limited(limit: str, retry_after: int) -> GsiError:
    return GsiError(
        "request.rate_limited",
        f"Trop de requêtes ({limit}) : réessayez dans {retry_after} s.",
        f"Too many requests ({limit}): try again in {retry_after} s.",
        details={"limit": limit, "retry_after_seconds": retry_after},
    )


class Slots:
    """At most ``max_concurrent`` requests run at once in this process; the others wait their
    turn, first come first served, and a request is given ``queue_timeout_s`` to start from
    the moment it reaches the service (or, if later, the last of its body came in): past it,
    in line, 503 ``service.overloaded`` with ``Retry-After`` and it never runs; past it later,
    at its first transaction (a command thread or a connection it waited for), 503
    ``service.request_expired`` before anything is written (:mod:`gsi_kernel.store.deadline`).
    A client that gave up (the issue: after 20 s) does not have its command run behind its back
    a minute later. Probes are not counted (the edge does not ask for a slot)."""

    def __init__(self, *, max_concurrent: int, queue_timeout_s: float) -> None:
        self._slots = asyncio.Semaphore(max_concurrent)
        self.timeout_s = queue_timeout_s

    async def take(self, arrived: float) -> deadline.StartBy | deadline.TooBusy:
        """A slot and the request's deadline to start, or the 503's error (no slot taken)."""
        if self._slots.locked():  # a free slot is taken at once, with no timer to set up
            try:
                async with asyncio.timeout(self.timeout_s):
                    await self._slots.acquire()
            except TimeoutError:
                return deadline.queue_timeout(time.monotonic() - arrived)
        else:
            await self._slots.acquire()
        return deadline.StartBy(arrived + self.timeout_s)

    def give_back(self) -> None:
        self._slots.release()
