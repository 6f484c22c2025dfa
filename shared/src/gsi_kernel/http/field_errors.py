"""Validation errors said to a person: every refused field gets a stable ``code``, its location,
its label and a sentence in French and English that says what is expected ("Région : deux
chiffres, de 01 à 17"). Pydantic's own English text and the patterns never reach the body;
its error ``type`` is kept beside, for whoever debugs."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import UploadFile
from pydantic import EmailStr

from gsi_kernel.fields import FORMATS
from gsi_kernel.http.labels import label_of
from gsi_kernel.http.request_fields import Operation, RequestField, field_at, type_args


@dataclass(frozen=True)
class Said:
    """What went wrong with a field, without its label: code, French, English, figures."""

    code: str
    fr: str
    en: str
    params: dict[str, Any] = field(default_factory=dict)


Explainer = Callable[[Mapping[str, Any], RequestField | None], Said]


def field_error(error: Mapping[str, Any], route: Operation | None) -> dict[str, Any]:
    """One entry of ``details.errors`` for one of pydantic's (or the edge's) errors."""
    location = tuple(str(part) for part in error.get("loc", ()))
    found = field_at(route, error.get("loc", ())) if route is not None else None
    kind = str(error.get("type", ""))
    said = _EXPLAIN.get(kind, _other)(error, found)
    fr, en = _quoted(location) if kind == "extra_forbidden" else label_of(found, location)
    entry: dict[str, Any] = {
        "location": list(location),
        "code": said.code,
        "label": {"fr": fr, "en": en},
        "message": {"fr": f"{fr} : {said.fr}", "en": f"{en}: {said.en}"},
        "type": kind,
    }
    if said.params:
        entry["params"] = said.params
    return entry


def summary(entries: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    """The top-level message: how many fields to correct, and which."""
    labels: dict[str, str] = {}
    for entry in entries:
        labels.setdefault(entry["label"]["fr"], entry["label"]["en"])
    shown_fr, shown_en = ", ".join(list(labels)[:5]), ", ".join(list(labels.values())[:5])
    more = "…" if len(labels) > 5 else ""
    if len(entries) == 1:
        return f"Un champ à corriger : {shown_fr}.", f"One field to correct: {shown_en}."
    n = len(entries)
    return f"{n} champs à corriger : {shown_fr}{more}.", f"{n} fields to correct: {shown_en}{more}."


def _quoted(location: tuple[str, ...]) -> tuple[str, str]:
    name = location[-1] if len(location) > 1 else ""
    return f"« {name} »", f"'{name}'"


def _ctx(error: Mapping[str, Any]) -> Mapping[str, Any]:
    ctx = error.get("ctx")
    return ctx if isinstance(ctx, Mapping) else {}


def _fixed(code: str, fr: str, en: str) -> Explainer:
    return lambda _error, _field: Said(code, fr, en)


def _character(code: str, fr: str, en: str) -> Explainer:
    def said(error: Mapping[str, Any], _field: RequestField | None) -> Said:
        ctx = _ctx(error)
        character, position = str(ctx.get("character", "")), int(ctx.get("position", 0)) + 1
        params = {"character": character, "position": position}
        return Said(code, fr.format(c=character, p=position), en.format(c=character, p=position), params)

    return said


def _length(error: Mapping[str, Any], _field: RequestField | None) -> Said:
    ctx, kind = _ctx(error), str(error.get("type"))
    longest = "long" in kind
    limit = int(ctx.get("max_length" if longest else "min_length", 0))
    text = kind.startswith("string") or isinstance(error.get("input"), str)
    if text:
        unit_fr, unit_en = ("caractère", "character") if limit == 1 else ("caractères", "characters")
    else:
        unit_fr, unit_en = ("élément", "item") if limit == 1 else ("éléments", "items")
    code = f"{'string' if text else 'list'}.{'too_long' if longest else 'too_short'}"
    if longest:
        return Said(code, f"{limit} {unit_fr} au plus.", f"at most {limit} {unit_en}.", {"max_length": limit})
    return Said(code, f"au moins {limit} {unit_fr}.", f"at least {limit} {unit_en}.", {"min_length": limit})


def _pattern(error: Mapping[str, Any], found: RequestField | None) -> Said:
    """The format's sentence: the field's own (``x-hint``), else the kernel's for its pattern."""
    extra = found.info.json_schema_extra if found is not None else None
    own = extra.get("x-hint") if isinstance(extra, dict) else None
    if isinstance(own, dict):
        return Said(str(own["code"]), f"{own['fr']}.", f"{own['en']}.")
    known = FORMATS.get(str(_ctx(error).get("pattern", "")))
    if known is None:
        return Said("format.invalid", "format invalide.", "invalid format.")
    return Said(known.code, f"{known.fr}.", f"{known.en}.")


def _choice(error: Mapping[str, Any], _field: RequestField | None) -> Said:
    allowed = re.findall(r"'([^']*)'", str(_ctx(error).get("expected", "")))
    listed = ", ".join(allowed)
    return Said(
        "enum.unknown",
        f"valeur inconnue ; valeurs permises : {listed}.",
        f"unknown value; allowed: {listed}.",
        {"allowed": allowed},
    )


def _bound(code: str, key: str, fr: str, en: str) -> Explainer:
    def said(error: Mapping[str, Any], _field: RequestField | None) -> Said:
        limit = _ctx(error).get(key)
        shown = str(limit)
        return Said(code, fr.format(shown), en.format(shown), {key: limit})

    return said


def _value(error: Mapping[str, Any], found: RequestField | None) -> Said:
    """A validator's refusal: an e-mail address, a file, or a model's own check."""
    held = _types_of(found.info.annotation) if found is not None else set()
    if EmailStr in held:
        return Said(
            "email.invalid",
            "adresse courriel invalide, par exemple nom@exemple.org.",
            "invalid e-mail address, e.g. name@example.org.",
        )
    if UploadFile in held:
        return Said("file.expected", "un fichier est attendu.", "a file is expected.")
    return _other(error, found)


def _other(error: Mapping[str, Any], _found: RequestField | None) -> Said:
    """An error of a kind not listed: a model's own check may say it in both languages (its
    ``ctx`` has ``fr`` and ``en``); else a plain "invalid value"."""
    ctx = _ctx(error)
    if isinstance(ctx.get("fr"), str) and isinstance(ctx.get("en"), str):
        return Said(str(error.get("type")), str(ctx["fr"]), str(ctx["en"]))
    return Said("value.invalid", "valeur invalide.", "invalid value.")


def _malformed_json(error: Mapping[str, Any], _field: RequestField | None) -> Said:
    location = error.get("loc", ())
    position = location[-1] if location and isinstance(location[-1], int) else 0
    return Said(
        "json.malformed",
        f"JSON mal formé, vers le caractère {position + 1}.",
        f"malformed JSON, near character {position + 1}.",
        {"position": position + 1},
    )


def _types_of(annotation: Any) -> set[Any]:
    found = {annotation}
    for arg in type_args(annotation):
        found |= _types_of(arg)
    return found


_DATE = _fixed(
    "date.invalid",
    "date invalide ; format AAAA-MM-JJ, par exemple 2026-11-20.",
    "invalid date; format YYYY-MM-DD, e.g. 2026-11-20.",
)
_DATETIME = _fixed(
    "datetime.invalid",
    "date et heure invalides ; format ISO 8601, par exemple 2026-11-20T14:30:00-05:00.",
    "invalid date and time; ISO 8601 format, e.g. 2026-11-20T14:30:00-05:00.",
)
_INTEGER = _fixed("number.integer", "un nombre entier est attendu.", "a whole number is expected.")
_NUMBER = _fixed("number.expected", "un nombre est attendu.", "a number is expected.")
_BOOLEAN = _fixed(
    "boolean.expected", "vrai ou faux (true ou false) est attendu.", "true or false is expected."
)
_LIST = _fixed("list.expected", "une liste est attendue.", "a list is expected.")
_OBJECT = _fixed("object.expected", "un objet JSON est attendu.", "a JSON object is expected.")

_EXPLAIN: dict[str, Explainer] = {
    "missing": _fixed("field.missing", "obligatoire, à fournir.", "required, please provide it."),
    "extra_forbidden": _fixed("field.unknown", "champ inconnu, à retirer.", "unknown field, to remove."),
    "text.blank": _fixed("text.blank", "ne peut pas être vide.", "cannot be blank."),
    "text.control_character": _character(
        "text.control_character",
        "caractère de contrôle ou invisible interdit ({c}, caractère n° {p}).",
        "forbidden control or invisible character ({c}, character {p}).",
    ),
    "text.unpaired_surrogate": _character(
        "text.unpaired_surrogate",
        "caractère mal encodé, moitié de paire UTF-16 isolée ({c}, caractère n° {p}).",
        "badly encoded character, a lone UTF-16 surrogate ({c}, character {p}).",
    ),
    "text.noncharacter": _character(
        "text.noncharacter",
        "non-caractère Unicode interdit ({c}, caractère n° {p}).",
        "forbidden Unicode noncharacter ({c}, character {p}).",
    ),
    "text.invalid_encoding": _fixed(
        "text.invalid_encoding",
        "ce n'est pas du texte UTF-8 valide (encodage « %xx » erroné).",
        "not valid UTF-8 text (wrong '%xx' encoding).",
    ),
    "string_too_long": _length,
    "string_too_short": _length,
    "too_long": _length,
    "too_short": _length,
    "string_type": _fixed("string.expected", "du texte est attendu.", "text is expected."),
    "string_pattern_mismatch": _pattern,
    "enum": _choice,
    "literal_error": _choice,
    "greater_than_equal": _bound("number.too_small", "ge", "au moins {}.", "at least {}."),
    "greater_than": _bound("number.too_small", "gt", "plus grand que {}.", "greater than {}."),
    "less_than_equal": _bound("number.too_large", "le", "au plus {}.", "at most {}."),
    "less_than": _bound("number.too_large", "lt", "plus petit que {}.", "less than {}."),
    "value_error": _value,
    "json_invalid": _malformed_json,
    **dict.fromkeys(("int_type", "int_parsing", "int_from_float", "int_parsing_size"), _INTEGER),
    **dict.fromkeys(("float_type", "float_parsing", "decimal_type", "decimal_parsing"), _NUMBER),
    **dict.fromkeys(("bool_type", "bool_parsing"), _BOOLEAN),
    **dict.fromkeys(
        ("date_type", "date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact"), _DATE
    ),
    **dict.fromkeys(
        ("datetime_type", "datetime_parsing", "datetime_from_date_parsing", "datetime_object_invalid"),
        _DATETIME,
    ),
    **dict.fromkeys(("list_type", "tuple_type", "set_type", "frozen_set_type"), _LIST),
    **dict.fromkeys(
        ("dict_type", "model_type", "model_attributes_type", "dataclass_type", "json_type"), _OBJECT
    ),
}
