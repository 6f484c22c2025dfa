"""One error body for every 4xx/5xx of every service:
``{"code": "...", "message": {"fr": "...", "en": "..."}, "details": {...}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from gsi_kernel.errors import GsiError
from gsi_kernel.failures import describe, redacted_exc_info
from gsi_kernel.http.field_errors import field_error, summary

log = logging.getLogger(__name__)


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
    return error_response(exc.status, exc.code, exc.fr, exc.en, exc.details)


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


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
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
    app.add_exception_handler(Exception, _unexpected)
