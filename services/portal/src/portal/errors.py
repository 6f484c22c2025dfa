"""What a person sees when something goes wrong: a page in their language, never a traceback.

A page behind sign-in sends an anonymous visitor to sign in (and back); a token the services
no longer accept does the same; a backend that is down, slow or failing gives a "try again"
page (503); a form without its CSRF token is refused (403); an unknown address, or another
organization's object a service will not show, is "page not found" (404).
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from portal.auth import NeedSignIn, sign_out
from portal.backend import BackendRefused, BackendUnavailable, SignInAgain
from portal.i18n import N_
from portal.security import CsrfRefused
from portal.web import Pages, request_language

log = logging.getLogger("portal")

# (title, explanation) of each error page; translated where they are shown.
MESSAGES = {
    400: (N_("The request could not be processed"), N_("Check what you entered and try again.")),
    403: (N_("Access denied"), N_("You do not have access to this page.")),
    404: (
        N_("Page not found"),
        N_("If you typed the address, check it. If you followed a link, it may be out of date."),
    ),
    "csrf": (
        N_("This form has expired"),
        N_("For your security, the form was not sent. Go back, reload the page and try again."),
    ),
    500: (N_("Sorry, there is a problem with the service"), N_("Try again later.")),
    503: (
        N_("Sorry, the service is unavailable"),
        N_("Part of GSI did not answer in time. Your data is safe. Try again in a few minutes."),
    ),
}


def install_error_pages(app: FastAPI, pages: Pages) -> None:
    def page(request: Request, key: int | str, status: int, detail: str | None = None) -> Response:
        title, explanation = MESSAGES[key]
        context = {"title": title, "explanation": explanation, "detail": detail, "status": status}
        return pages.render(request, "errors/error.html", context, status=status)

    def to_sign_in(request: Request) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/signin?next={quote(target)}", status_code=303)

    async def need_sign_in(request: Request, _exc: Exception) -> Response:
        return to_sign_in(request)

    async def sign_in_again(request: Request, _exc: Exception) -> Response:
        sign_out(request.session)
        return to_sign_in(request)

    async def csrf_refused(request: Request, _exc: Exception) -> Response:
        return page(request, "csrf", 403)

    async def unavailable(request: Request, exc: Exception) -> Response:
        log.warning("backend unavailable on %s: %s", request.url.path, exc)
        return page(request, 503, 503)

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BackendRefused)
        status = exc.status if exc.status in (403, 404) else 400
        detail = None if status == 404 else exc.message(request_language(request))
        return page(request, status, status, detail)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        status = exc.status_code
        return page(request, status if status in MESSAGES else 400, status)

    async def invalid(request: Request, _exc: Exception) -> Response:
        return page(request, 400, 400)

    async def crashed(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path, exc_info=exc)
        return page(request, 500, 500)

    app.add_exception_handler(NeedSignIn, need_sign_in)
    app.add_exception_handler(SignInAgain, sign_in_again)
    app.add_exception_handler(CsrfRefused, csrf_refused)
    app.add_exception_handler(BackendUnavailable, unavailable)
    app.add_exception_handler(BackendRefused, refused)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(Exception, crashed)
