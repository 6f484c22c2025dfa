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


class SecurityHeaders:
    """The headers of :func:`security_headers`, encoded once, added to an answer's headers
    (by the edge's layer, :mod:`.edge_layer`) where the route did not set its own."""

    def __init__(self, *, hsts_max_age: int | None) -> None:
        self._api = _encoded(security_headers("/", hsts_max_age=hsts_max_age))
        self._docs = _encoded(security_headers(_DOCUMENTATION[0], hsts_max_age=hsts_max_age))

    def add(self, path: str, headers: list[tuple[bytes, bytes]]) -> None:
        wanted = self._docs if path.startswith(_DOCUMENTATION) else self._api
        present = {name.lower() for name, _ in headers}
        headers.extend(pair for pair in wanted if pair[0] not in present)  # a route's own stands


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
