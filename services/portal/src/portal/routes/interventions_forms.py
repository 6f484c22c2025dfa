"""The interventions pages' forms: their fields (declared as every page's form is, and drawn by
the same macros), what a page reads from a posted form, the JSON body sent to interventions,
and interventions' refusals put back beside their fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import FormData

from portal.forms import Field, FormSpec, FormView, Group, Values, refusals
from portal.i18n import N_, Language
from portal.routes.interventions_common import MODES, split_offer
from portal.routes.persons_choices import gettext_for, translated

# What a declaration says of the service given (the person and the code aside).
DETAIL_FIELDS = (
    "service_date",
    "duration_minutes",
    "mode",
    "staff_member",
    "notes",
    "target_organization",
    "referral_reason",
)
_REF_ONLY = N_("For a referral (REF) only.")
STAFF_MEMBER = Field(
    "staff_member",
    N_("Staff member"),
    hint=N_("Who gave the service. Your name is filled in."),
    max_length=200,
    width="medium",
)
DURATION = Field(
    "duration_minutes",
    N_("Duration in minutes"),
    hint=N_("For example, 45."),
    max_length=5,
    width="short",
)
DETAILS = (
    Field("code", N_("Intervention code"), "select"),
    Field("service_date", N_("Service date"), "date", hint=N_("Today's date is filled in."), width="short"),
    DURATION,
    Field("mode", N_("Mode"), "radios", choices="modes"),
    STAFF_MEMBER,
    Field(
        "notes",
        N_("Notes"),
        "textarea",
        hint=N_("Optional. Kept by your organization only."),
        max_length=2000,
    ),
    Field("target_organization", N_("Organization referred to"), hint=_REF_ONLY, max_length=100),
    Field("referral_reason", N_("Reason for the referral"), "textarea", hint=_REF_ONLY, max_length=500),
)
DECLARATION = FormSpec("declaration", (Group(None, (Field("person_id", N_("Person"), "radios"), *DETAILS)),))
REASON = Field(
    "reason",
    N_("Reason"),
    "textarea",
    hint=N_("Between 3 and 500 characters. It is kept in the intervention's history."),
    max_length=500,
)
_SERVICE_DATE = Field("service_date", N_("Service date"), "date", width="short")
CORRECTION = FormSpec(
    "correction",
    (Group(None, (*(_SERVICE_DATE if f.name == "service_date" else f for f in DETAILS), REASON)),),
)
CANCELLATION = FormSpec("cancellation", (Group(None, (REASON,)),))
SESSION = FormSpec(
    "session",
    (
        Group(
            None,
            (
                Field("title", N_("Title of the session"), hint=N_("Optional."), max_length=200),
                Field("attendees", N_("Attendance list"), "checkboxes"),
                *(f for f in DETAILS if f.name not in ("mode", "target_organization", "referral_reason")),
            ),
        ),
    ),
)
TEXT_FIELDS = ("person_query", "submission")


def read(spec: FormSpec, form: FormData) -> Values:
    """The posted values as typed (a list for the attendance list); plus the person search box."""
    values: Values = {}
    for f in spec.fields:
        if f.kind == "checkboxes":
            values[f.name] = list(
                dict.fromkeys(str(v) for v in form.getlist(f.name) if isinstance(v, str) and v)
            )
        else:
            values[f.name] = _text(form.get(f.name))
    for name in TEXT_FIELDS:
        values[name] = _text(form.get(name))[:100]
    return values


def blank(spec: FormSpec, **given: Any) -> Values:
    values: Values = {f.name: [] if f.kind == "checkboxes" else "" for f in spec.fields}
    return {**values, **{name: "" for name in TEXT_FIELDS}, **given}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def details_body(values: Mapping[str, Any], *, mode: str | None = None) -> dict[str, Any]:
    """What interventions receives; a field left empty is not sent, so that interventions names
    it ("required") in its own words."""
    code, volet = split_offer(str(values.get("code") or ""))
    body: dict[str, Any] = {
        "code": code,
        "volet": volet,
        "service_date": values.get("service_date") or None,
        "duration_minutes": _number(str(values.get("duration_minutes") or "")),
        "mode": mode or values.get("mode") or None,
        "staff_member": values.get("staff_member") or None,
        "notes": values.get("notes") or None,
        "target_organization": values.get("target_organization") or None,
        "referral_reason": values.get("referral_reason") or None,
    }
    return {k: v for k, v in body.items() if v is not None}


def _number(text: str) -> int | str | None:
    """A whole number as a number; anything else as typed, for interventions to explain."""
    if not text:
        return None
    return int(text) if text.isdigit() and len(text) <= 6 else text


def declaration_body(values: Mapping[str, Any]) -> dict[str, Any]:
    person = values.get("person_id") or None
    return {**({"person_id": person} if person else {}), **details_body(values)}


def errors_of(
    spec: FormSpec, body: Mapping[str, Any], language: Language
) -> tuple[dict[str, str], list[str]]:
    """Interventions' refusal, by field; the volet is chosen with the code, so its message
    goes beside the code; an attendee's, beside the attendance list."""
    by_field, elsewhere = refusals(spec, body, language)
    details = body.get("details")
    volet = _volet_message(details, language) if isinstance(details, dict) else None
    if volet and "code" not in by_field:
        by_field["code"] = volet
        elsewhere = [text for text in elsewhere if text != volet]
    return by_field, elsewhere


def _volet_message(details: dict[str, Any], language: Language) -> str | None:
    for entry in details.get("errors") or []:
        if isinstance(entry, dict) and "volet" in (entry.get("location") or ()):
            message = entry.get("message")
            return str(message.get(language) or message.get("fr")) if isinstance(message, dict) else None
    return None


def view(spec: FormSpec, values: Values, language: Language, **rest: Any) -> FormView:
    """A form for a template (a :class:`FormView` not checked as typed)."""
    _ = gettext_for(language)
    return FormView(spec, values, options={"modes": translated(MODES, _)}, live=False, **rest)
