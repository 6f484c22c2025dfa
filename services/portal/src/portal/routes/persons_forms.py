"""The persons pages' forms (declared with :mod:`portal.forms`): their fields, the checks the
portal runs as a person types (a value is there when required, is a real date, fits its length
and format, holds no character the services refuse), and the JSON body sent to registration.

The portal's checks only spare a round trip: registration decides (its refusals are put back on
the form by :func:`portal.forms.refusals`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from gsi_kernel.fields import POSTAL_CODE
from gsi_kernel.text import TextKind, TextRefused, clean
from portal.forms import Field, FormSpec, Group, Values
from portal.i18n import N_, Language
from portal.routes.persons_choices import Gettext, gettext_for, options

LANGUAGE_SLOTS = 3
_POSTAL_CODE = re.compile(POSTAL_CODE.pattern)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


_STATUS_DATES = {
    "person.status_before_birth": "effective_from",
    "person.status_in_future": "effective_from",
    "person.status_expires_before_start": "expires_on",
}
_DATE_HINT = N_("For example, 2026-03-12")
STATUS_FIELDS = (
    Field("status", N_("Status"), "select", N_("Choose the immigration status"), choices="statuses"),
    Field(
        "effective_from",
        N_("Status effective date"),
        "date",
        N_("Enter the date the status took effect"),
        hint=N_("The day this status began. Today's date is filled in."),
        width="short",
    ),
    Field("admission_date", N_("Admission date"), "date", hint=_DATE_HINT, width="short"),
    Field(
        "expires_on",
        N_("End of a temporary status"),
        "date",
        hint=N_("Only for a temporary status (worker, student, asylum claimant)."),
        width="short",
    ),
)
ADDRESS_FIELDS = (
    Field("street", N_("Street address"), autocomplete="street-address", max_length=300),
    Field("municipality", N_("Municipality"), autocomplete="address-level2", text=TextKind.NAME),
    Field(
        "postal_code",
        N_("Postal code"),
        hint=N_("For example, J1H 1N9. The administrative region is filled in from it."),
        autocomplete="postal-code",
        max_length=7,
        width="short",
    ),
    Field(
        "region",
        N_("Administrative region"),
        "select",
        choices="regions",
        hint=N_("Québec's administrative region where the person lives (01 to 17)."),
    ),
)
REASON = Field(
    "reason",
    N_("Reason for the change"),
    "textarea",
    N_("Enter the reason for the change"),
    hint=N_("Between 3 and 500 characters. It is kept in the file's history."),
    max_length=500,
    min_length=3,
    text=TextKind.LINES,
)

REGISTRATION = FormSpec(
    "registration",
    (
        Group(
            N_("Identity"),
            (
                Field(
                    "family_name",
                    N_("Family name"),
                    missing=N_("Enter the family name"),
                    hint=N_("As written on the immigration document."),
                    autocomplete="family-name",
                    text=TextKind.NAME,
                ),
                Field(
                    "given_name",
                    N_("Given name"),
                    missing=N_("Enter the given name"),
                    autocomplete="given-name",
                    text=TextKind.NAME,
                ),
                Field(
                    "birth_date",
                    N_("Birth date"),
                    "date",
                    N_("Enter the birth date"),
                    hint=_DATE_HINT,
                    autocomplete="bday",
                    width="short",
                ),
                Field("sex", N_("Sex"), "radios", N_("Choose the sex"), choices="sexes"),
                Field(
                    "country_of_birth",
                    N_("Country of birth"),
                    "select",
                    N_("Choose the country of birth"),
                    choices="countries",
                ),
                Field(
                    "languages",
                    N_("Languages spoken"),
                    "languages",
                    hint=N_("Up to three, the one spoken best first."),
                    choices="languages",
                ),
                Field("french_level", N_("Level of French"), "select", choices="french_levels"),
            ),
        ),
        Group(N_("Immigration status"), STATUS_FIELDS),
        Group(
            N_("Identifier and contact"),
            (
                Field(
                    "uci",
                    N_("UCI (IRCC client identifier)"),
                    hint=N_("Optional. 4 to 20 characters, for example 1234-5678."),
                    min_length=4,
                    max_length=20,
                    width="medium",
                ),
                Field("email", N_("Email address"), "email", autocomplete="email", max_length=254),
                Field(
                    "phone", N_("Telephone number"), "tel", autocomplete="tel", max_length=30, width="medium"
                ),
            ),
        ),
        Group(N_("Address"), ADDRESS_FIELDS),
        Group(
            N_("Consents"),
            (
                Field(
                    "consents",
                    N_("Consents given by the person"),
                    "checkboxes",
                    hint=N_("Check only what the person agreed to."),
                    choices="consents",
                ),
            ),
        ),
    ),
    codes=_STATUS_DATES,
)
STATUS_CHANGE = FormSpec("status", (Group(None, (*STATUS_FIELDS, REASON)),), codes=_STATUS_DATES)
ADDRESS_CHANGE = FormSpec(
    "address",
    (
        Group(
            None,
            (
                *ADDRESS_FIELDS,
                Field(
                    "effective_from",
                    N_("Date of the move"),
                    "date",
                    N_("Enter the date of the move"),
                    hint=N_("Today's date is filled in."),
                    width="short",
                ),
                REASON,
            ),
        ),
    ),
)
CONSENT_WITHDRAWAL = FormSpec(
    "withdrawal",
    (
        Group(
            None,
            (
                Field(
                    "reason",
                    N_("Reason for the withdrawal"),
                    "textarea",
                    N_("Enter the reason for the withdrawal"),
                    hint=N_("Between 3 and 500 characters."),
                    max_length=500,
                    min_length=3,
                    text=TextKind.LINES,
                ),
            ),
        ),
    ),
)
DOCUMENT = FormSpec(
    "document",
    (
        Group(
            None,
            (
                Field(
                    "kind",
                    N_("Kind of document"),
                    "radios",
                    N_("Choose the kind of document"),
                    choices="document_kinds",
                ),
                Field(
                    "file",
                    N_("File"),
                    "file",
                    N_("Choose a file"),
                    hint=N_("PDF, PNG or JPEG, 10 MB at most."),
                ),
            ),
        ),
    ),
)
# The forms whose fields are checked as they are typed (a file is checked when sent).
FORMS = {spec.key: spec for spec in (REGISTRATION, STATUS_CHANGE, ADDRESS_CHANGE, CONSENT_WITHDRAWAL)}


def check(spec: FormSpec, values: Values, today: date, language: Language) -> dict[str, str]:
    """Each field's first problem, in ``language``; the values are cleaned as registration
    would (trimmed, NFC), so the body sent is what was checked."""
    _ = gettext_for(language)
    errors: dict[str, str] = {}
    for f in spec.fields:
        if f.kind == "file":
            continue
        problem = _check_field(f, values, today, language, _)
        if problem:
            errors[f.name] = problem
    return errors


def _check_field(f: Field, values: Values, today: date, language: Language, _: Gettext) -> str | None:
    label = _(f.label)
    if f.many:
        allowed = {value for value, _text in options(f.choices or "", language)}
        chosen = values[f.name]
        return _("Choose a value from the list") if any(v not in allowed for v in chosen) else None
    try:
        value = clean(values[f.name], f.text)
    except TextRefused as refused:
        return _(
            "%(label)s contains a character that cannot be saved (%(character)s, position %(position)d)"
        ) % {
            "label": label,
            "character": refused.character,
            "position": refused.position + 1,
        }
    values[f.name] = value
    if not value:
        return _(f.missing) if f.missing else None
    if f.choices:
        allowed = {v for v, _text in options(f.choices, language)}
        return None if value in allowed else _("Choose a value from the list")
    if f.kind == "date":
        return _check_date(f, value, today, _)
    if len(value) > f.max_length:
        return _("%(label)s: %(max)d characters at most") % {"label": label, "max": f.max_length}
    if len(value) < f.min_length:
        return _("%(label)s: %(min)d characters at least") % {"label": label, "min": f.min_length}
    return _check_format(f.name, value, _)


def _check_date(f: Field, value: str, today: date, _: Gettext) -> str | None:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return _("%(label)s must be a real date, for example 2026-03-12") % {"label": _(f.label)}
    if f.name == "birth_date" and day > today:
        return _("The birth date must be today or in the past")
    return None


def valid_postal_code(value: str) -> bool:
    return bool(_POSTAL_CODE.match(value.strip()))


def _check_format(name: str, value: str, _: Gettext) -> str | None:
    if name == "postal_code" and not valid_postal_code(value):
        return _("Enter a Canadian postal code, for example J1H 1N9")
    if name == "email" and not _EMAIL.match(value):
        return _("Enter an email address, for example amina@example.org")
    return None


def _blank_to_none(values: Values, *names: str) -> dict[str, Any]:
    return {name: values[name] or None for name in names}


def registration_body(values: Values) -> dict[str, Any]:
    address = _blank_to_none(values, "region", "street", "municipality", "postal_code")
    return {
        **_blank_to_none(values, "family_name", "given_name", "birth_date", "sex", "country_of_birth"),
        "languages": list(dict.fromkeys(values["languages"])),
        "french_level": values["french_level"] or "none",
        "status": status_body(values),
        **_blank_to_none(values, "uci", "email", "phone"),
        "address": address if any(address.values()) else None,
        "consents": values["consents"],
    }


def status_body(values: Values) -> dict[str, Any]:
    return _blank_to_none(values, "status", "effective_from", "admission_date", "expires_on")


def address_body(values: Values) -> dict[str, Any]:
    return _blank_to_none(
        values, "region", "street", "municipality", "postal_code", "effective_from", "reason"
    )
