"""What a person sees when something goes wrong: a page in their language, never a traceback.

A page behind sign-in sends an anonymous visitor to sign in (and back); a token the services
no longer accept does the same; a form posted when its session is gone (or its token could not be
renewed) is not sent anywhere, but its text is kept for the form's page to show again after
signing in (ADR 20); a backend that is down, slow or failing gives a "try again"
page (503); a form without its CSRF token is refused (403); an unknown address, or another
organization's object a service will not show, is "page not found" (404).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.auth import NeedSignIn, current_user, sign_out
from portal.backend import BackendRefused, BackendUnavailable, SignInAgain
from portal.i18n import N_
from portal.security import CsrfRefused, SessionLost, text_fields
from portal.sessions import LOST, keep_form
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
    413: (
        N_("The file is too large"),
        N_(
            "The portal takes files of at most 50 MB (10 MB for a proof document): nothing was sent. "
            "Go back and choose a smaller file, or split it in several files."
        ),
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

    async def need_sign_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NeedSignIn)
        return await to_sign_in(request, exc.user_id)

    async def sign_in_again(request: Request, _exc: Exception) -> Response:
        user = current_user(request.session)
        sign_out(request.session)
        return await to_sign_in(request, user.user_id if user else None)

    async def csrf_refused(request: Request, _exc: Exception) -> Response:
        return page(request, "csrf", 403)

    async def session_lost(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SessionLost)
        if _signing_in_or_out(request.url.path):  # nothing to keep: that page again
            return RedirectResponse(_return_path(request), status_code=303)
        keep_form(request.session, request.url.path, exc.fields, exc.user_id)
        return _sign_in_then(_return_path(request))

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

    # Inside the sessions' middleware (added later, so run first): the page is in their language.
    app.add_middleware(BodyLimitMiddleware, refuse=lambda request: page(request, 413, 413))
    app.add_exception_handler(NeedSignIn, need_sign_in)
    app.add_exception_handler(SignInAgain, sign_in_again)
    app.add_exception_handler(SessionLost, session_lost)
    app.add_exception_handler(CsrfRefused, csrf_refused)
    app.add_exception_handler(BackendUnavailable, unavailable)
    app.add_exception_handler(BackendRefused, refused)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(Exception, crashed)


async def to_sign_in(request: Request, user_id: str | None) -> Response:
    """To sign in, then back; a form posted on the way is kept for its page (its CSRF token was
    checked: only the person's session or token had run out). ``user_id``: who was signed in
    until now; their other pages' forms, whose token went with the session, count as posted
    after a lost session (:data:`LOST`)."""
    if user_id is not None:
        request.session[LOST] = {"user": user_id}
    htmx = "hx-request" in request.headers  # a field's check, not the form sent
    if request.method == "POST" and not htmx and not _signing_in_or_out(request.url.path):
        try:
            fields = text_fields(await request.form())
        except Exception:  # not a form (or unreadable): nothing to keep
            fields = []
        if fields:
            keep_form(request.session, request.url.path, fields, user_id)
    return _sign_in_then(_return_path(request))


def _sign_in_then(target: str) -> Response:
    return RedirectResponse(f"/signin?next={quote(target)}", status_code=303)


def _signing_in_or_out(path: str) -> bool:
    return path in ("/language", "/signout") or path.startswith("/signin")


def _return_path(request: Request) -> str:
    """Where to come back: the page a POST's form was on (the same site's ``Referer``), else
    the address asked for."""
    referer = urlsplit(request.headers.get("referer", ""))
    if request.method == "POST" and referer.path and referer.netloc == request.headers.get("host"):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


# The largest body the portal reads: the largest file it forwards (an import, 50 MB) and the
# form around it. Smaller limits (10 MB for a document) are said beside the form's file field.
MAX_BODY_BYTES = 50 * 1024 * 1024 + 256 * 1024
# A body above the limit is still read (and dropped) up to this much, so that the browser,
# still sending, reads the refusal page instead of a reset connection; beyond, the connection
# is closed.
DRAINED_BYTES = 4 * MAX_BODY_BYTES


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """A request body larger than :data:`MAX_BODY_BYTES` is refused with a page (413) before
    any route reads it: at once when ``Content-Length`` says so, else once the bytes pass it."""

    def __init__(self, app: ASGIApp, *, refuse: Callable[[Request], Response]) -> None:
        self._app = app
        self._refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request = Request(scope, receive)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            await self._refused(scope, receive, send, int(declared))
            return
        seen, started, exceeded, ended = 0, False, False, False

        async def counted() -> Message:
            nonlocal seen, exceeded, ended
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > MAX_BODY_BYTES:
                exceeded = True
                ended = not message.get("more_body", False)  # nothing more to drain
                raise _TooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the route's answer to a body cut short (FastAPI's 400): replaced below
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(_TooLarge):  # FastAPI may also turn it into its own 400
            await self._app(scope, counted, tracked)
        if exceeded and not started:
            await self._refused(scope, receive, send, 0 if ended else DRAINED_BYTES)

    async def _refused(self, scope: Scope, receive: Receive, send: Send, size: int) -> None:
        """The page, once the rest of the body (``size`` bytes announced; 0: none left) is read."""
        drained, more = 0, 0 < size <= DRAINED_BYTES
        while more and drained <= DRAINED_BYTES:
            message = await receive()
            drained += len(message.get("body", b""))
            more = message["type"] == "http.request" and message.get("more_body", False)
        response = self._refuse(Request(scope))
        response.headers["Connection"] = "close"
        await response(scope, receive, send)
