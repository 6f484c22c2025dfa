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


_VALIDATION = {
    "json_invalid": (
        400,
        "malformed_json",
        "Le corps de la requête n'est pas du JSON valide.",
        "The request body is not valid JSON.",
    ),
    "extra_forbidden": (
        422,
        "unknown_field",
        "Champ inconnu dans la requête.",
        "Unknown field in the request.",
    ),
    "missing": (
        422,
        "missing_field",
        "Champ obligatoire manquant.",
        "A required field is missing.",
    ),
}
_INVALID = (
    422,
    "invalid_field",
    "Valeur invalide dans la requête.",
    "Invalid value in the request.",
)

_HTTP = {
    404: ("not_found", "Ressource introuvable.", "Resource not found."),
    405: ("method_not_allowed", "Méthode non permise.", "Method not allowed."),
}


async def _gsi_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GsiError)
    return error_response(exc.status, exc.code, exc.fr, exc.en, exc.details)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    first_type = errors[0]["type"] if errors else ""
    status, code, fr, en = _VALIDATION.get(first_type, _INVALID)
    fields = [
        {
            "location": [str(p) for p in e.get("loc", ())],
            "type": e.get("type"),
            "reason": e.get("msg"),
        }
        for e in errors
    ]
    return error_response(status, code, fr, en, {"errors": fields})


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, fr, en = _HTTP.get(exc.status_code, ("http_error", "Requête refusée.", "Request refused."))
    return error_response(exc.status_code, code, fr, en)


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", exc_info=exc)
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
