"""The four services' APIs, called with the signed-in person's token over one pooled client.

The portal reaches data only through these public APIs (it keeps none). A page's independent
calls go out together (:func:`asyncio.gather`): the page waits for the slowest, not the sum.
Each call's time counts in the request's ``Server-Timing`` (:mod:`portal.timing`).
A service that is down, slow or answers 5xx becomes :class:`BackendUnavailable` (the error page
says so in the person's language); 401 becomes :class:`SignInAgain`; another 4xx is
:class:`BackendRefused` carrying the service's bilingual error body for the page to show.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from portal.settings import SERVICES, PortalSettings
from portal.timing import backend_call, call_label
from portal.unread import UnreadCounts

# A command sent again after no answer or a 503, with the same Idempotency-Key: twice more, a
# moment apart, so that a service's restart or a database's failover costs the person a few
# seconds instead of an error page.
RETRIES = 2
RETRY_PAUSE_S = 0.5
MAX_RETRY_PAUSE_S = 2.0


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
    """A pooled :class:`httpx.AsyncClient` per service, made once for the app's life.

    One pool per service, not one for the four: httpcore's pool looks over every connection it
    holds, and every request waiting for one, each time a request starts or ends. With one pool
    for the four services that scan took half of the portal's CPU under 50 users without pause
    (``bench.portal_pages``; a quarter with a pool each). A service's pool scans only its own
    connections, and a slow service cannot take the connections the others' calls need."""

    def __init__(self, settings: PortalSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._urls = {service: settings.service_url(service) for service in SERVICES}
        limits = httpx.Limits(
            max_connections=settings.backend_max_connections,
            max_keepalive_connections=settings.backend_max_connections,
        )
        timeout = httpx.Timeout(settings.backend_timeout_seconds)
        self._clients = {
            service: httpx.AsyncClient(timeout=timeout, limits=limits, transport=transport)
            for service in SERVICES
        }
        self.unread = UnreadCounts(settings.unread_fresh_seconds)  # the header's badge, per session

    def url(self, service: str) -> str:
        return self._urls[service]

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()

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
        a multipart body (an upload) instead of JSON.

        A command (any method but GET) carries an ``Idempotency-Key`` of its own and is sent
        again with it, up to :data:`RETRIES` times, when no answer came back or the service
        answered 503: the service applies it once whatever happened to the first attempt
        (ADR 21). An upload is not sent again (its file was read)."""
        headers = _headers(token)
        command = method not in ("GET", "HEAD")
        if command:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        attempts = 1 + (RETRIES if command and files is None else 0)
        for attempt in range(1, attempts + 1):
            try:
                with backend_call(call_label(service, method, path)):
                    response = await self._clients[service].request(
                        method,
                        f"{self._urls[service]}{path}",
                        headers=headers,
                        json=json,
                        params=params,
                        files=files,
                        data=data,
                    )
            except httpx.HTTPError as exc:  # timeouts, refused connections, broken answers
                if attempt == attempts:
                    raise BackendUnavailable(service, type(exc).__name__) from exc
                await asyncio.sleep(RETRY_PAUSE_S)
                continue
            if response.status_code != 503 or attempt == attempts:
                break
            await asyncio.sleep(_retry_after(response))
        _raise_for_status(service, response)
        return response.json() if response.content else None

    async def open_stream(
        self, service: str, path: str, *, token: str | None, params: dict[str, Any] | None = None
    ) -> httpx.Response:
        """A GET whose 2xx body is not read yet, for a page to stream it on (a download); the
        caller closes it (``aclose``) once sent. Errors as for :meth:`request`."""
        client = self._clients[service]
        request = client.build_request(
            "GET", f"{self._urls[service]}{path}", headers=_headers(token), params=params
        )
        try:
            # Until the headers: the body streams to the browser after.
            with backend_call(call_label(service, "GET", path)):
                response = await client.send(request, stream=True)
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


def _retry_after(response: httpx.Response) -> float:
    """The service's ``Retry-After``, within what a person waiting for a page accepts."""
    try:
        return min(max(float(response.headers.get("Retry-After", RETRY_PAUSE_S)), 0.0), MAX_RETRY_PAUSE_S)
    except ValueError:
        return RETRY_PAUSE_S


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
