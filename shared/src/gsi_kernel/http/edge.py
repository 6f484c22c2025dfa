"""Two checks at the HTTP edge, before a request reaches its route (the class of fix, whatever
the route):

- the body's media type: a route that takes JSON refuses any other body (a form, plain text,
  none declared) with 415 ``unsupported_media_type``, and a route that takes a file refuses
  anything but ``multipart/form-data`` — rather than a confusing 422 about the body's shape;
- the text of the URL: a path segment or a query parameter (name or value) whose
  percent-encoding is not UTF-8, or that holds a character the text rule refuses
  (:mod:`gsi_kernel.text`: U+0000, controls, tab and line breaks, unpaired surrogates…), is
  refused with 422 ``invalid_field`` and the parameter's own error entry, before any database
  sees it.

Both answer only a caller the route would let in: an anonymous request (no valid token) to a
route that needs one goes on to the route, whose 401 comes first and tells nothing of the route.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

import anyio.to_thread
from fastapi import params
from fastapi.routing import iter_route_contexts
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import Scope

from gsi_kernel.errors import GsiError
from gsi_kernel.http.errors import error_response
from gsi_kernel.http.field_errors import field_error, summary
from gsi_kernel.text import TextRefused, refuse_forbidden

_BODYLESS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
JSON = "application/json"
MULTIPART = "multipart/form-data"
FORM = "application/x-www-form-urlencoded"
_JSON_ONLY = frozenset({JSON})


@dataclass(frozen=True)
class RouteMedia:
    """What body a route takes: its path, methods and accepted media types."""

    pattern: re.Pattern[str]
    methods: frozenset[str]
    accepts: frozenset[str]


def route_media(routes: Sequence[BaseRoute]) -> list[RouteMedia]:
    """Every API route that takes a body: JSON, or a multipart form (with a file: only that)."""
    found = []
    for route in iter_route_contexts(routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None:
            continue
        infos = [p.field_info for p in _body_params(dependant)]
        if not infos:
            continue
        if any(isinstance(i, params.File) for i in infos):
            accepts = frozenset({MULTIPART})
        elif any(isinstance(i, params.Form) for i in infos):
            accepts = frozenset({MULTIPART, FORM})
        else:
            accepts = frozenset({JSON})
        found.append(RouteMedia(route.path_regex, frozenset(route.methods or ()), accepts))
    return found


def _body_params(dependant: Any) -> Iterator[Any]:
    yield from dependant.body_params
    for sub in dependant.dependencies:
        yield from _body_params(sub)


class MediaTypes:
    """The media types each route's body may have (:func:`route_media`)."""

    def __init__(self, routes: list[RouteMedia], *, public_paths: Collection[str]) -> None:
        self._routes = routes
        # A JSON body (nearly every request) can only be refused by the few routes that take no
        # JSON: only those are matched against it.
        self._not_json = [r for r in routes if JSON not in r.accepts]
        self._public = public_paths

    async def refusal(self, scope: Scope) -> Response | None:
        """The 415 for a body the route does not take, else None."""
        if scope["method"] in _BODYLESS or not _has_body(scope):
            return None
        given = _header(scope, b"content-type")
        candidates = self._not_json if _accepted(given, _JSON_ONLY) else self._routes
        accepts = _accepts(candidates, scope["method"], scope["path"])
        if accepts and not _accepted(given, accepts) and await _let_in(scope, self._public):
            return _unsupported(given, accepts)
        return None


def _accepts(routes: list[RouteMedia], method: str, path: str) -> frozenset[str]:
    for route in routes:
        if method in route.methods and route.pattern.match(path):
            return route.accepts
    return frozenset()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _has_body(scope: Scope) -> bool:
    length = _header(scope, b"content-length")
    if length is not None:
        return length.strip() not in ("", "0")
    return _header(scope, b"transfer-encoding") is not None


def _accepted(given: str | None, accepts: frozenset[str]) -> bool:
    media = (given or "").split(";")[0].strip().lower()
    if JSON in accepts and media.startswith("application/") and media.endswith("+json"):
        return True
    return media in accepts


def _unsupported(given: str | None, accepts: frozenset[str]) -> Response:
    shown = given.split(";")[0].strip() if given else None
    expected = "multipart/form-data" if MULTIPART in accepts else "application/json"
    what_fr, what_en = (
        ("un formulaire multipart", "a multipart form") if MULTIPART in accepts else ("du JSON", "JSON")
    )
    return error_response(
        415,
        "unsupported_media_type",
        f"Type de contenu non pris en charge ({shown or 'aucun'}) : envoyez {what_fr} "
        f"(Content-Type: {expected}).",
        f"Unsupported content type ({shown or 'none'}): send {what_en} (Content-Type: {expected}).",
        {"content_type": shown, "accepted": sorted(accepts)},
    )


async def url_refusal(scope: Scope, public_paths: Collection[str]) -> Response | None:
    """The 422 for a path or query string carrying text the rule refuses, else None."""
    refused = list(url_refusals(scope))
    if refused and await _let_in(scope, public_paths):
        return _refusal(scope, refused)
    return None


async def _let_in(scope: Scope, public_paths: Collection[str]) -> bool:
    """Whether the route would let the caller in: a public path, or a valid token (checked
    only for a request refused here: the verifier may have to fetch keys)."""
    if scope["path"] in public_paths:
        return True
    scheme, _, token = (_header(scope, b"authorization") or "").partition(" ")
    verifier = getattr(getattr(scope.get("app"), "state", None), "verifier", None)
    if scheme.lower() != "bearer" or not token.strip() or verifier is None:
        return False
    try:
        await anyio.to_thread.run_sync(verifier.verify, token.strip())
    except GsiError:
        return False
    return True


_PLAIN = re.compile(rb"[\x21-\x24\x26-\x7e]*")  # printable ASCII without "%": nothing to decode


def url_refusals(scope: Scope) -> Iterator[dict[str, Any]]:
    """One error (as pydantic shapes them) per refused path segment or query parameter; the
    path's at ``("path", <segment index>)`` until :func:`_refusal` names the parameter."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogatepass")
    if not _PLAIN.fullmatch(raw_path):
        for index, segment in enumerate(raw_path.split(b"/")):
            yield from _refused(segment, ("path", index))
    query: bytes = scope.get("query_string") or b""
    if query and not _PLAIN.fullmatch(query):
        for pair in query.split(b"&"):
            name, _, value = pair.partition(b"=")
            text = _decoded(name.replace(b"+", b" "))
            if not isinstance(text, str):
                yield {**text, "loc": ("query",)}
                continue
            yield from _refused(value.replace(b"+", b" "), ("query", text))


def _refused(raw: bytes, loc: tuple[Any, ...]) -> Iterator[dict[str, Any]]:
    text = _decoded(raw)
    if not isinstance(text, str):
        yield {**text, "loc": loc}


def _decoded(raw: bytes) -> str | dict[str, Any]:
    """The text of a percent-encoded part, or the error that refuses it."""
    try:
        text = unquote_to_bytes(raw).decode("utf-8")
        refuse_forbidden(text)
    except UnicodeDecodeError:
        return {"type": "text.invalid_encoding"}
    except TextRefused as refused:
        return {"type": refused.code, "ctx": {"character": refused.character, "position": refused.position}}
    return text


def _refusal(scope: Scope, errors: list[dict[str, Any]]) -> Response:
    route = _route_of(scope)
    template = str(getattr(route, "path_format", "") or "").split("/")
    named = [_named(error, template) for error in errors]
    entries = [field_error(error, route) for error in named]
    fr, en = summary(entries)
    return error_response(422, "invalid_field", fr, en, {"errors": entries})


def _named(error: dict[str, Any], template: list[str]) -> dict[str, Any]:
    """A path error's location with the parameter's name, where the route has one there."""
    loc = error["loc"]
    if loc[0] != "path":
        return error
    index = loc[1]
    part = template[index] if index < len(template) else ""
    name = part[1:-1].split(":")[0] if part.startswith("{") and part.endswith("}") else None
    return {**error, "loc": ("path", name) if name else ("path",)}


def _route_of(scope: Scope) -> Any:
    """The route the path leads to (only looked up for a refusal, to name the parameter)."""
    app = scope.get("app")
    for route in iter_route_contexts(getattr(app, "routes", ())):
        pattern = getattr(route, "path_regex", None)
        if getattr(route, "dependant", None) is None or pattern is None:
            continue
        if pattern.match(scope["path"]) and scope["method"] in (route.methods or ()):
            return route
    return None
