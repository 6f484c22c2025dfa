"""Pages every visitor reaches: the language switch, the signed-out page, and the health check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from portal.i18n import language_of
from portal.routes.deps import PagesDep, SettingsDep
from portal.routes.signin import safe_next
from portal.web import LANGUAGE_COOKIE, LANGUAGE_KEY

router = APIRouter()
_YEAR = 365 * 24 * 3600


@router.post("/language")
async def switch_language(
    request: Request,
    settings: SettingsDep,
    language: Annotated[str, Form(max_length=5)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """The chosen language, for this session and (a cookie) the next ones on this browser."""
    chosen = language_of(language)
    request.session[LANGUAGE_KEY] = chosen
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        LANGUAGE_COOKIE, chosen, max_age=_YEAR, httponly=True, secure=settings.secure_cookies, samesite="lax"
    )
    return response


@router.get("/health")
async def health() -> dict[str, str]:
    """The process answers (the portal keeps no data: nothing else to check)."""
    return {"status": "ok", "service": "portal"}


@router.get("/signed-out")
async def signed_out(request: Request, pages: PagesDep) -> Response:
    return pages.render(request, "signed_out.html")
