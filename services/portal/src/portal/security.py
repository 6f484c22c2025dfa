"""The portal's browser-facing protections: a strict Content-Security-Policy and the other
security headers on every answer, and a CSRF token on every form, checked on every POST.

The CSP allows only the portal's own files: no inline script or style, no CDN (htmx is served
from ``/static``; its configuration is a ``<meta>`` tag). ``form-action`` also allows the
identity provider, because signing out is a POST that the portal answers with a redirect there.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.datastructures import FormData, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.sessions import LOST

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_CSRF_KEY = "csrf"


def content_security_policy(form_targets: tuple[str, ...] = ()) -> str:
    form_action = " ".join(("'self'", *form_targets))
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
        f"form-action {form_action}; frame-ancestors 'none'"
    )


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, csp: str, hsts: bool) -> None:
        self._app = app
        self._headers = {
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "same-origin",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        }
        if hsts:
            self._headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self._headers.items():
                    headers.setdefault(name, value)
                # Pages hold personal data: never cached. The pinned static files may be.
                headers.setdefault("Cache-Control", "public, max-age=3600" if static else "no-store")
            await send(message)

        await self._app(scope, receive, send_with_headers)


def csrf_token(session: dict[str, Any]) -> str:
    """The session's CSRF token, made on first use (a form makes the session exist)."""
    token = session.get(_CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[_CSRF_KEY] = token
    return token


class CsrfRefused(Exception):
    """A POST without the session's CSRF token (a forged request, or a session that expired)."""


class SessionLost(CsrfRefused):
    """A form posted after its session was lost (idle too long, the portal restarted): nothing
    is done with it, since its token cannot be checked; its text fields are kept for its author
    to find again after signing in (:func:`portal.sessions.keep_form`)."""

    def __init__(self, fields: list[tuple[str, str]], user_id: str | None) -> None:
        super().__init__()
        self.fields = fields
        self.user_id = user_id


_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def text_fields(form: FormData) -> list[tuple[str, str]]:
    """A form's text fields as typed, without its CSRF token (a file is not kept)."""
    return [(k, v) for k, v in form.multi_items() if isinstance(v, str) and k != CSRF_FIELD]


async def check_csrf(request: Request) -> None:
    """Every unsafe request carries the session's token, in the form or (htmx) in a header."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    expected = request.session.get(_CSRF_KEY)
    sent = request.headers.get(CSRF_HEADER)
    is_form = request.headers.get("content-type", "").startswith(_FORMS)
    form = await request.form() if is_form else None
    if sent is None and form is not None:
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not (isinstance(expected, str) and sent and secrets.compare_digest(expected, sent)):
        lost = request.session.get(LOST)
        if isinstance(lost, dict) and form is not None and sent and CSRF_HEADER not in request.headers:
            raise SessionLost(text_fields(form), lost.get("user"))
        raise CsrfRefused
