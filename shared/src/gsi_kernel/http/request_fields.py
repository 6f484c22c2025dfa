"""The fields of a request as a route declares them — its path, query and header parameters,
its form fields and its JSON body's fields at any depth — so that an error can name the field a
person got wrong (:mod:`gsi_kernel.http.field_errors`) and a test can check every field of every
route (its text rule, its label, its format's sentence)."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Protocol, Union, get_args, get_origin

from fastapi import params
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel
from pydantic.fields import FieldInfo

_SOURCES = {
    "path": "path_params",
    "query": "query_params",
    "header": "header_params",
    "cookie": "cookie_params",
}


class Operation(Protocol):
    """A route (or FastAPI's view of an included router's route): what it takes."""

    @property
    def dependant(self) -> Dependant: ...


@dataclass(frozen=True)
class RequestField:
    """One field: where it is in the request (``("body", "address", "region")``, ``("query",
    "name")``; list indexes and dict keys left out), its name as sent, its declaration."""

    location: tuple[str, ...]
    name: str
    info: FieldInfo


def _params(dependant: Dependant, attribute: str) -> Iterator[Any]:
    yield from getattr(dependant, attribute)
    for sub in dependant.dependencies:
        yield from _params(sub, attribute)


def request_fields(route: Operation) -> Iterator[RequestField]:
    """Every field of ``route``'s request: its parameters, then its body's fields (nested models'
    fields too, after the field that holds them)."""
    for source, attribute in _SOURCES.items():
        for param in _params(route.dependant, attribute):
            yield RequestField((source, param.alias), param.alias, param.field_info)
    body = list(_params(route.dependant, "body_params"))
    if _embedded(body):
        for param in body:
            field = RequestField(("body", param.alias), param.alias, param.field_info)
            yield field
            yield from _nested(field.location, param.field_info.annotation, set())
    elif body:
        yield from _nested(("body",), body[0].field_info.annotation, set())


def body_field(route: Operation) -> RequestField | None:
    """The body itself when it is one value (a JSON document), not fields: ``("body",)``."""
    body = list(_params(route.dependant, "body_params"))
    if len(body) == 1 and not _embedded(body) and not models_in(body[0].field_info.annotation):
        return RequestField(("body",), body[0].alias, body[0].field_info)
    return None


def _embedded(body: Sequence[Any]) -> bool:
    """Whether the body's fields are named in it (several body parameters, form fields), as
    FastAPI decides, or the body is the one parameter itself."""
    if len(body) != 1:
        return bool(body)
    info = body[0].field_info
    return isinstance(info, params.Form) or bool(getattr(info, "embed", False))


def _nested(prefix: tuple[str, ...], annotation: Any, seen: set[type[BaseModel]]) -> Iterator[RequestField]:
    for model in models_in(annotation):
        if model in seen:
            continue
        for name, info in model.model_fields.items():
            sent = info.alias or name
            yield RequestField((*prefix, sent), sent, info)
            yield from _nested((*prefix, sent), info.annotation, seen | {model})


def models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models a field's value holds: itself, or in an optional, a list or a dict."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in type_args(annotation) for model in models_in(arg)]


def type_args(annotation: Any) -> tuple[Any, ...]:
    """The types an annotation is made of (an optional's, a list's items, a dict's keys and
    values, an ``Annotated``'s type); a ``Literal``'s values are not types."""
    origin = get_origin(annotation)
    if origin is typing.Literal:
        return ()
    if origin is Annotated:
        return (get_args(annotation)[0],)
    if origin in (Union, types.UnionType) or origin is not None:
        return tuple(a for a in get_args(annotation) if a is not Ellipsis)
    return ()


def field_at(route: Operation, location: Sequence[int | str]) -> RequestField | None:
    """The field an error's location points at (indexes and dict keys skipped), or ``None``."""
    wanted = tuple(str(part) for part in location if isinstance(part, str))
    if wanted == ("body",):
        return body_field(route)
    found: RequestField | None = None
    for field in request_fields(route):
        if _is_under(field.location, wanted) and (found is None or len(field.location) > len(found.location)):
            found = field
    return found


def _is_under(field: tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    """Whether ``wanted`` (a location with dict keys in it) goes through ``field``: its parts in
    order, dict keys and markers such as ``[key]`` in between allowed."""
    if not field or not wanted or field[0] != wanted[0]:
        return False
    position = 1
    for part in field[1:]:
        while position < len(wanted) and wanted[position] != part:
            position += 1
        if position == len(wanted):
            return False
        position += 1
    return True
