"""Security headers on every response the services send (OWASP Secure Headers):

- ``X-Content-Type-Options: nosniff`` — a JSON answer is never run as a script or page;
- ``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'`` — no page of ours in a frame;
- CSP ``default-src 'none'`` on API answers (nothing to load); the interactive documentation
  (``/docs``, :mod:`.docs`) loads its files from the service only, and runs no inline script;
- ``Referrer-Policy: no-referrer`` — ids in our URLs do not leak to other sites;
- ``Cache-Control: no-store`` unless the route chose otherwise — personal data stays out of
  browser and proxy caches;
- ``Strict-Transport-Security`` in production (TLS ends in front of the service; the header
  tells browsers never to come back over plain HTTP).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_DOCUMENTATION = ("/docs",)
_API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI's CSS draws its icons with data: images; "Try it out" calls the service itself.
_DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def security_headers(path: str, *, hsts_max_age: int | None) -> dict[str, str]:
    """The headers an answer to ``path`` gets (``hsts_max_age``: None outside production)."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": _DOCS_CSP if path.startswith(_DOCUMENTATION) else _API_CSP,
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
    if hsts_max_age:
        headers["Strict-Transport-Security"] = f"max-age={hsts_max_age}; includeSubDomains"
    return headers


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts_max_age: int | None) -> None:
        self._app = app
        self._hsts_max_age = hsts_max_age

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        wanted = security_headers(scope["path"], hsts_max_age=self._hsts_max_age)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                for name, value in wanted.items():
                    headers.setdefault(name, value)  # a route's own choice stands
            await send(message)

        await self._app(scope, receive, send_with_headers)
