"""``Idempotency-Key`` on every state-changing request (POST, PUT, PATCH, DELETE), ADR 21.

A client that did not get its answer (a timeout, a 503, a dropped connection) sends the same
request again with the same key: within 24 hours it gets the first answer (status, body and the
route's headers, marked ``Idempotent-Replayed: true``) and nothing runs again. The same key with
another body (or another method or path) is refused, 422 ``request.idempotency_key_reused``; the
same key while its first request still runs, 409 ``request.idempotency_key_in_progress`` with
``Retry-After``. A key is 1 to 200 printable ASCII characters (else 400
``request.idempotency_key_invalid``); it is the caller's own (another user's same key is another
key). How the effect is made to happen once: :mod:`gsi_kernel.store.idempotency`.

Without the header a request runs as before.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Connection
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gsi_kernel.errors import GsiError
from gsi_kernel.failures import database_unavailable, describe, redacted_exc_info
from gsi_kernel.http.errors import database_unavailable_response, error_response
from gsi_kernel.http.limits import caller
from gsi_kernel.http.threads import run_short
from gsi_kernel.store import deadline
from gsi_kernel.store import idempotency as store
from gsi_kernel.store.database import Database

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_VALID_KEY = re.compile(r"[\x21-\x7e]{1,200}")  # printable ASCII, no space
_SWEEP_EVERY_S = 300.0
# The headers of an answer that are its own (not the edge's, which each answer gets anew).
_KEPT_HEADERS = frozenset({"content-type", "location", "etag", "content-disposition"})

OPENAPI_PARAMETER: dict[str, Any] = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"^[\x21-\x7e]+$"},
    "description": (
        "Clé d'idempotence : la même requête renvoyée avec la même clé dans les 24 h reçoit la "
        "première réponse sans rien refaire / Idempotency key: the same request sent again with "
        "the same key within 24 h gets the first answer and nothing runs again."
    ),
}


def document_idempotency(app: FastAPI, *, public_paths: frozenset[str]) -> None:
    """Every state-changing operation of ``app``'s OpenAPI document lists the optional
    ``Idempotency-Key`` header (its refusals, 400, 409 and 422, are the kernel's documented
    errors). Added to the generated document rather than to the routes: the services' routers
    are shared objects, and the middleware, not a route, reads the header."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        documented = app.openapi_schema is not None
        schema = generate()
        if not documented:
            for path, operations in schema.get("paths", {}).items():
                if path in public_paths:
                    continue
                for method, operation in operations.items():
                    if method.upper() in STATE_CHANGING:
                        operation["parameters"] = [*operation.get("parameters", []), OPENAPI_PARAMETER]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, *, public_paths: frozenset[str]) -> None:
        self._app = app
        self._public_paths = public_paths
        self._swept_at = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, b"idempotency-key") if scope["type"] == "http" else None
        if key is None or scope["method"] not in STATE_CHANGING or scope["path"] in self._public_paths:
            await self._app(scope, receive, send)
            return
        if not _VALID_KEY.fullmatch(key):
            await _error(invalid_key(), 400)(scope, receive, send)
            return
        body, receive = await _buffered(receive)
        db: Database = scope["app"].state.kernel.db
        key_hash = _digest(caller(scope), key)
        fingerprint = _digest(scope["method"], scope["path"], scope.get("query_string", b""), body)
        try:
            outcome = await run_short(lambda: self._reserve(db, key_hash, fingerprint))
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            await database_unavailable_response()(scope, receive, send)
            return
        if isinstance(outcome, store.Claim):
            await self._run(outcome, db, scope, receive, send)
        elif isinstance(outcome, store.Answer):
            await _replay(outcome)(scope, receive, send)
        else:
            error, status, headers = _REFUSALS[outcome]
            response = _error(error, status)
            response.headers.update(headers)
            await response(scope, receive, send)

    def _reserve(self, db: Database, key_hash: str, fingerprint: str) -> store.Claim | store.Answer | str:
        with _bookkeeping(db) as connection:
            if time.monotonic() - self._swept_at > _SWEEP_EVERY_S:
                self._swept_at = time.monotonic()
                store.sweep(connection)
            return store.reserve(connection, key_hash, fingerprint)

    async def _run(
        self, claim: store.Claim, db: Database, scope: Scope, receive: Receive, send: Send
    ) -> None:
        """Run the request holding its key, then keep (or release) its answer. A route that
        raised has no answer to keep (the last-resort handler, outside, answers 500): its key
        is released, or stays ``committed`` if it had an effect (a retry then learns so)."""
        answer: dict[str, Any] = {"status": None, "headers": [], "body": bytearray()}

        async def capturing_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = [
                    (k.decode("latin-1"), v.decode("latin-1"))
                    for k, v in message.get("headers", [])
                    if k.decode("latin-1").lower() in _KEPT_HEADERS
                ]
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")
            await send(message)

        token = store.current().set(claim)
        try:
            await self._app(scope, receive, capturing_send)
        except BaseException:
            answer["status"] = None
            raise
        finally:
            store.current().reset(token)
            claim.active = False
            status = answer["status"]
            kept = None if status is None else store.Answer(status, answer["headers"], bytes(answer["body"]))
            await self._record(db, claim, kept)

    async def _record(self, db: Database, claim: store.Claim, answer: store.Answer | None) -> None:
        def record() -> None:
            with _bookkeeping(db) as connection:
                if answer is None:
                    store.release(connection, claim)
                else:
                    store.record(connection, claim, answer)

        try:
            await run_short(record)
        except Exception as exc:  # the client has its answer; the key's lease runs out by itself
            log.warning(
                "keeping an idempotent answer failed (%s)", describe(exc), exc_info=redacted_exc_info(exc)
            )


@contextmanager
def _bookkeeping(db: Database) -> Iterator[Connection]:
    """A transaction of the key's own, not the request's: it is not the request's start (which
    must come before its deadline, :mod:`gsi_kernel.store.deadline`)."""
    token = deadline.current().set(None)
    try:
        with db.transaction() as connection:
            yield connection
    finally:
        deadline.current().reset(token)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))  # lengths first: no two splits hash alike
        h.update(data)
    return h.hexdigest()


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body (its size already bounded by the body limit, outside), and a ``receive``
    that hands it to the route as if it came now."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # a client gone: the route sees it too
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replayed


def _replay(answer: store.Answer) -> Response:
    response = Response(answer.body, status_code=answer.status)
    for name, value in answer.headers:
        response.headers[name] = value
    response.headers[REPLAYED] = "true"
    return response


def _error(error: GsiError, status: int) -> Response:
    return error_response(status, error.code, error.fr, error.en, error.details)


def invalid_key() -> GsiError:
    return GsiError(
        "request.idempotency_key_invalid",
        "En-tête Idempotency-Key invalide : de 1 à 200 caractères ASCII imprimables, sans espace.",
        "Invalid Idempotency-Key header: 1 to 200 printable ASCII characters, no space.",
        details={"header": HEADER, "max_length": 200},
    )


_REFUSALS: dict[str, tuple[GsiError, int, dict[str, str]]] = {
    "reused": (
        GsiError(
            "request.idempotency_key_reused",
            "Cette clé d'idempotence a déjà servi pour une autre requête (autre contenu, méthode "
            "ou adresse) : utilisez une nouvelle clé pour une nouvelle requête.",
            "This idempotency key was already used for another request (another body, method or "
            "path): use a new key for a new request.",
            details={"header": HEADER},
        ),
        422,
        {},
    ),
    "in_progress": (
        GsiError(
            "request.idempotency_key_in_progress",
            "La première requête portant cette clé d'idempotence est encore en cours : "
            "réessayez dans un instant pour recevoir sa réponse.",
            "The first request with this idempotency key is still running: try again in a moment "
            "to get its answer.",
            details={"header": HEADER, "retry_after_seconds": 1},
        ),
        409,
        {"Retry-After": "1"},
    ),
    "answer_lost": (
        GsiError(
            "request.idempotency_answer_lost",
            "La requête portant cette clé d'idempotence a été exécutée, mais sa réponse n'a pas "
            "pu être conservée : consultez l'état de la ressource plutôt que de la renvoyer.",
            "The request with this idempotency key was executed, but its answer could not be "
            "kept: look at the resource's state rather than sending it again.",
            details={"header": HEADER},
        ),
        409,
        {},
    ),
}
