"""The four services' APIs, called with the signed-in person's token over one pooled client.

The portal reaches data only through these public APIs (it keeps none). A page's independent
calls go out together (:func:`asyncio.gather`): the page waits for the slowest, not the sum.
A service that is down, slow or answers 5xx becomes :class:`BackendUnavailable` (the error page
says so in the person's language); 401 becomes :class:`SignInAgain`; another 4xx is
:class:`BackendRefused` carrying the service's bilingual error body for the page to show.
"""

from __future__ import annotations

from typing import Any

import httpx

from portal.settings import SERVICES, PortalSettings


class BackendError(Exception):
    """Something a page cannot show data from."""

    def __init__(self, service: str, detail: str) -> None:
        super().__init__(f"{service}: {detail}")
        self.service = service


class BackendUnavailable(BackendError):
    """The service did not answer in time, could not be reached, or failed (5xx)."""


class SignInAgain(BackendError):
    """The service refused the token (expired, revoked): the person signs in again."""


class BackendRefused(BackendError):
    """A 4xx other than 401, with the service's error body ``{"code", "message", "details"}``."""

    def __init__(self, service: str, status: int, body: dict[str, Any]) -> None:
        super().__init__(service, f"{status} {body.get('code')}")
        self.status = status
        self.body = body

    def message(self, language: str) -> str:
        text = self.body.get("message")
        return str(text.get(language) or text.get("fr")) if isinstance(text, dict) else str(self.status)


class Backends:
    """One :class:`httpx.AsyncClient` (a connection pool) for the four services."""

    def __init__(self, settings: PortalSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._urls = {service: settings.service_url(service) for service in SERVICES}
        limits = httpx.Limits(
            max_connections=settings.backend_max_connections,
            max_keepalive_connections=settings.backend_max_connections,
        )
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.backend_timeout_seconds), limits=limits, transport=transport
        )

    def url(self, service: str) -> str:
        return self._urls[service]

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(
        self,
        method: str,
        service: str,
        path: str,
        *,
        token: str | None,
        json: Any = None,
        params: dict[str, Any] | None = None,
        files: dict[str, tuple[str, Any, str]] | None = None,
        data: dict[str, str] | None = None,
    ) -> Any:
        """The decoded JSON body of a 2xx answer (None when empty). ``files`` and ``data``:
        a multipart body (an upload) instead of JSON."""
        try:
            response = await self._client.request(
                method,
                f"{self._urls[service]}{path}",
                headers=_headers(token),
                json=json,
                params=params,
                files=files,
                data=data,
            )
        except httpx.HTTPError as exc:  # timeouts, refused connections, broken answers
            raise BackendUnavailable(service, type(exc).__name__) from exc
        _raise_for_status(service, response)
        return response.json() if response.content else None

    async def open_stream(
        self, service: str, path: str, *, token: str | None, params: dict[str, Any] | None = None
    ) -> httpx.Response:
        """A GET whose 2xx body is not read yet, for a page to stream it on (a download); the
        caller closes it (``aclose``) once sent. Errors as for :meth:`request`."""
        request = self._client.build_request(
            "GET", f"{self._urls[service]}{path}", headers=_headers(token), params=params
        )
        try:
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(service, type(exc).__name__) from exc
        if response.status_code >= 400:
            try:
                await response.aread()
            finally:
                await response.aclose()
        _raise_for_status(service, response)
        return response

    async def get(self, service: str, path: str, *, token: str | None, **params: Any) -> Any:
        return await self.request("GET", service, path, token=token, params=params or None)

    async def post(self, service: str, path: str, *, token: str | None, json: Any = None) -> Any:
        return await self.request("POST", service, path, token=token, json=json)


def _headers(token: str | None) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _raise_for_status(service: str, response: httpx.Response) -> None:
    if response.status_code >= 500:
        raise BackendUnavailable(service, f"HTTP {response.status_code}")
    if response.status_code == 401:
        raise SignInAgain(service, "token refused")
    if response.status_code >= 400:
        raise BackendRefused(service, response.status_code, _error_body(response))


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"code": f"http.{response.status_code}"}
    return body if isinstance(body, dict) else {"code": f"http.{response.status_code}"}
