"""One error body for every 4xx/5xx of every service:
``{"code": "...", "message": {"fr": "...", "en": "..."}, "details": {...}}``."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from gsi_kernel.errors import GsiError
from gsi_kernel.failures import database_unavailable, describe, redacted_exc_info
from gsi_kernel.http.field_errors import field_error, summary

log = logging.getLogger(__name__)

# What a database may raise through a route: SQLAlchemy's errors, and the drivers' own.
DATABASE_ERRORS: tuple[type[Exception], ...] = (sa_exc.SQLAlchemyError, psycopg.Error, sqlite3.Error)


class Message(BaseModel):
    fr: str
    en: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    code: str
    message: Message
    details: dict[str, Any] = {}


def error_response(
    status: int, code: str, fr: str, en: str, details: dict[str, Any] | None = None
) -> JSONResponse:
    body = {"code": code, "message": {"fr": fr, "en": en}, "details": details or {}}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


# The top-level code of a refused request, by its first error (what clients already test).
_VALIDATION = {
    "json_invalid": (400, "malformed_json"),
    "extra_forbidden": (422, "unknown_field"),
    "missing": (422, "missing_field"),
}
_INVALID = (422, "invalid_field")

_HTTP = {
    400: (
        "malformed_request",
        "Requête mal formée : son corps ne peut pas être lu.",
        "Malformed request: its body cannot be read.",
    ),
    404: ("not_found", "Ressource introuvable.", "Resource not found."),
    405: ("method_not_allowed", "Méthode non permise.", "Method not allowed."),
}


async def _gsi_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GsiError)
    response = error_response(exc.status, exc.code, exc.fr, exc.en, exc.details)
    retry_after = getattr(exc, "retry_after", None)  # a 503 that says when to come back
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """Every refused field with its code, label and sentence (:mod:`.field_errors`); the top
    message says how many fields to correct."""
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    route = request.scope.get("route")
    entries = [field_error(e, route if hasattr(route, "dependant") else None) for e in errors]
    status, code = _VALIDATION.get(errors[0]["type"] if errors else "", _INVALID)
    if code == "malformed_json":
        fr, en = "Le corps de la requête n'est pas du JSON valide.", "The request body is not valid JSON."
    else:
        fr, en = summary(entries)
    return error_response(status, code, fr, en, {"errors": entries})


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, fr, en = _HTTP.get(exc.status_code, ("http_error", "Requête refusée.", "Request refused."))
    return error_response(exc.status_code, code, fr, en)


# Seconds a client waits before retrying when the database is out of reach: a PostgreSQL
# restart or fail-over takes that order of time.
DATABASE_RETRY_AFTER_S = 5


def database_unavailable_response() -> JSONResponse:
    """503 ``service.database_unavailable`` with ``Retry-After``: the database is out of reach
    (stopped, restarting, refusing connections, its pool exhausted). The command's transaction
    did not commit — or, if the connection broke during its COMMIT, the client cannot know:
    it retries with the same ``Idempotency-Key`` to be sure it runs once."""
    response = error_response(
        503,
        "service.database_unavailable",
        f"Service momentanément indisponible : la base de données ne répond pas. "
        f"Réessayez dans {DATABASE_RETRY_AFTER_S} secondes.",
        f"Service temporarily unavailable: the database is not answering. "
        f"Try again in {DATABASE_RETRY_AFTER_S} seconds.",
        {"retry_after_seconds": DATABASE_RETRY_AFTER_S},
    )
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_S)
    return response


async def _database_error(_request: Request, exc: Exception) -> JSONResponse:
    """A database error a route let through: 503 when the database is out of reach (not the
    request's fault nor a bug: say when to come back); any other goes on to the last-resort
    handler's 500 (:func:`_unexpected`). Answered here, inside the middleware: the 503 then goes
    through them as any other answer (traced, and kept for an ``Idempotency-Key``)."""
    if database_unavailable(exc):
        log.warning("database unavailable: %s", describe(exc))
        return database_unavailable_response()
    raise exc


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    if database_unavailable(exc):  # raised by a middleware, outside the handler above
        log.warning("database unavailable: %s", describe(exc))
        return database_unavailable_response()
    # Redacted: a database error's text carries the values it refused (personal data too).
    log.error("unhandled error: %s", describe(exc), exc_info=redacted_exc_info(exc))
    return error_response(
        500,
        "internal_error",
        "Erreur interne; rien n'a été enregistré.",
        "Internal error; nothing was recorded.",
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(GsiError, _gsi_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for database_error in DATABASE_ERRORS:
        app.add_exception_handler(database_error, _database_error)
    app.add_exception_handler(Exception, _unexpected)
