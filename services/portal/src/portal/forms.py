"""The portal's forms, declared once (each field's label, hint, kind and pick-list), as a page
reads them from a posted form, as a template draws them (``templates/components/fields.html``),
and a service's refusals put back beside the field they concern.

The persons, interventions and plans pages declare their forms here; the imports and documents
pages check their file with :func:`upload_problem`. A service's field errors
(``details.errors[]``: ``location``, ``message.fr/en``) and its domain refusals
(``details.field``) land on the field of the same name; the rest goes to the error summary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from starlette.datastructures import FormData, UploadFile

from gsi_kernel.text import TextKind
from portal.i18n import Language

Options = list[tuple[str, str]]
Kind = Literal[
    "text", "email", "tel", "date", "select", "radios", "checkboxes", "textarea", "languages", "file"
]
Values = dict[str, Any]  # a field's text, or a list for checkboxes and languages


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: Kind = "text"
    missing: str | None = None  # the message when empty; None: optional
    hint: str | None = None
    choices: str | None = None  # the name of a pick-list in FormView.options
    max_length: int = 200
    min_length: int = 0
    text: TextKind = TextKind.LINE
    autocomplete: str | None = None
    width: str | None = None  # "short", "medium": a field sized to what it holds

    @property
    def many(self) -> bool:
        return self.kind in ("checkboxes", "languages")


@dataclass(frozen=True)
class Group:
    legend: str | None
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class FormSpec:
    key: str
    groups: tuple[Group, ...]
    # A domain refusal's code to the field it is about, where ``details.field`` is vaguer.
    codes: Mapping[str, str] = field(default_factory=dict)

    @property
    def fields(self) -> tuple[Field, ...]:
        return tuple(f for g in self.groups for f in g.fields)

    def get(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


def read_form(spec: FormSpec, form: FormData) -> Values:
    """The form's values as the person typed them (lists for multiple choices)."""
    values: Values = {}
    for f in spec.fields:
        if f.many:
            values[f.name] = [str(v) for v in form.getlist(f.name) if isinstance(v, str) and v]
        elif f.kind != "file":
            raw = form.get(f.name)
            values[f.name] = raw if isinstance(raw, str) else ""
    if spec.get("region"):  # the region the postal code filled in, if it did
        auto = form.get("region_auto")
        values["region_auto"] = auto if isinstance(auto, str) else ""
    return values


def refusals(spec: FormSpec, body: Mapping[str, Any], language: Language) -> tuple[dict[str, str], list[str]]:
    """Registration's refusal put back on the form: messages by field, and those of no field."""
    details = body.get("details") if isinstance(body.get("details"), dict) else {}
    names = {f.name for f in spec.fields}
    by_field: dict[str, str] = {}
    elsewhere: list[str] = []
    entries = details.get("errors") if isinstance(details, dict) else None
    if isinstance(entries, list) and entries:
        for entry in entries:
            if isinstance(entry, dict):
                place = _field_of(entry.get("location") or (), names)
                _keep(by_field, elsewhere, place, _said(entry.get("message"), language))
        return by_field, elsewhere
    named = str(details.get("field", "")) if isinstance(details, dict) else ""
    place = spec.codes.get(str(body.get("code"))) or (named if named in names else None)
    if named == "status" and place is None:
        place = "effective_from"
    _keep(by_field, elsewhere, place, _said(body.get("message"), language))
    return by_field, elsewhere


def _field_of(location: Sequence[Any], names: set[str]) -> str | None:
    """The deepest part of a location that names a field (``["body", "address", "region"]``)."""
    return next((part for part in reversed(list(location)) if isinstance(part, str) and part in names), None)


def _said(message: Any, language: Language) -> str:
    if isinstance(message, dict):
        return str(message.get(language) or message.get("fr") or "")
    return str(message or "")


def _keep(by_field: dict[str, str], elsewhere: list[str], place: str | None, text: str) -> None:
    if place and place not in by_field:
        by_field[place] = text
    elif not place:
        elsewhere.append(text)


def summary(
    spec: FormSpec, errors: Mapping[str, str], elsewhere: Sequence[str] = ()
) -> list[tuple[str, str]]:
    """The error summary's links, in the form's order (the first of a group of choices)."""
    listed = [(f.name, errors[f.name]) for f in spec.fields if f.name in errors]
    return listed + [("form-" + spec.key, text) for text in elsewhere]


def upload_problem(upload: object, max_bytes: int, missing: str, too_large: str) -> str | None:
    """What is wrong with a form's file: none chosen (``missing``), or larger than ``max_bytes``
    (``too_large``: refused before it is sent)."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return missing
    return too_large if (upload.size or 0) > max_bytes else None


async def file_part(upload: UploadFile, max_bytes: int, name: str) -> dict[str, tuple[str, bytes, str]]:
    """The file as it came, for a multipart body (``name`` when it came without one)."""
    content = await upload.read(max_bytes + 1)
    return {"file": (upload.filename or name, content, upload.content_type or "application/octet-stream")}


@dataclass
class FormView:
    """A form for a template: its fields' values, errors and pick-lists, notes beside fields
    (the region filled in from the postal code), and whether fields are checked as typed."""

    spec: FormSpec
    values: Values
    errors: dict[str, str] = field(default_factory=dict)
    elsewhere: list[str] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)
    options: dict[str, Options] = field(default_factory=dict)
    live: bool = True
    today: date | None = None
    checked_at: str = "/personnes/formulaires"  # where a field is checked as it is left (htmx)

    @property
    def summary(self) -> list[tuple[str, str]]:
        return summary(self.spec, self.errors, self.elsewhere)
