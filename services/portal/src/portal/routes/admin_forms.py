"""The administration pages' forms (organizations, contacts, reviewers, agreements, the
calendar, unlocking a quarter), declared once as the other pages' forms are (``portal/forms.py``),
each field checked as it is left (``/administration/formulaires/{form}/{field}``) and again when
sent, with the same sentences; reporting's refusals land beside the field they concern."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from starlette.exceptions import HTTPException

from gsi_kernel.text import TextKind, TextRefused, clean
from portal.auth import User
from portal.forms import Field, FormSpec, FormView, Group, Options, Values
from portal.i18n import N_, Language
from portal.routes.persons_choices import Gettext, gettext_for, options

CHECKED_AT = "/administration/formulaires"
PERIODS = ("year", "Q1", "Q2", "Q3", "Q4")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,99}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_FISCAL_YEAR = re.compile(r"^(\d{4})-(\d{4})$")
_REVIEWER = re.compile(r"^[^\s/]{1,200}$")
_CODE_TARGET = re.compile(r"([A-Za-z]{3})\s*[:=]?\s*(\d{1,7})")  # ACC 400, ACC: 400, ACC=400
MOST_PER_CODE = 1_000_000
# Fields holding a whole number (≥ 0), with their upper bound.
_COUNTS = {
    **{f"persons_{p}": 1_000_000 for p in PERIODS},
    **{f"plans_{p}": 1_000_000 for p in PERIODS},
    "early_submission_days": 90,
    "control_window_days": 120,
    "resubmission_business_days": 60,
}
NOTICE_LANGUAGES = {"fr": N_("French"), "en": N_("English")}
PERIOD_NAMES = {
    "year": N_("Whole year"),
    "Q1": N_("Q1 (April–June)"),
    "Q2": N_("Q2 (July–September)"),
    "Q3": N_("Q3 (October–December)"),
    "Q4": N_("Q4 (January–March)"),
}

_REASON = Field(
    "reason",
    N_("Reason for the change"),
    kind="textarea",
    missing=N_("Enter the reason for the change"),
    hint=N_("Kept with the change in the history."),
    max_length=1000,
    text=TextKind.LINES,
)
_CONTACT = Group(
    N_("Contact"),
    (
        Field("contact_name", N_("Contact name"), missing=N_("Enter the contact's name"), autocomplete="off"),
        Field("contact_email", N_("Contact e-mail"), kind="email", missing=N_("Enter the contact's e-mail")),
        Field(
            "contact_role",
            N_("Contact role"),
            missing=N_("Enter the contact's role"),
            hint=N_("For example: direction, coordination."),
            max_length=100,
        ),
        Field(
            "contact_language",
            N_("Language of the notices"),
            kind="radios",
            choices="notice_languages",
            missing=N_("Choose the language of the notices"),
        ),
    ),
)
_NAME = Field("name", N_("Organization name"), missing=N_("Enter the organization's name"))
_REGIONS = Field(
    "regions",
    N_("Regions served"),
    kind="checkboxes",
    choices="regions",
    missing=N_("Choose at least one region"),
)
ORGANIZATION = FormSpec(
    "admin-organization",
    (
        Group(
            None,
            (
                Field(
                    "organization_id",
                    N_("Identifier"),
                    missing=N_("Enter the organization's identifier"),
                    hint=N_("Lower-case letters, digits and hyphens, for example org-sherbrooke."),
                    max_length=100,
                    width="medium",
                ),
                _NAME,
                _REGIONS,
            ),
        ),
        _CONTACT,
    ),
)
ORGANIZATION_CHANGE = FormSpec("admin-organization-change", (Group(None, (_NAME, _REGIONS, _REASON)),))
CONTACT = FormSpec("admin-contact", (_CONTACT, Group(None, (_REASON,))))
REVIEWER = FormSpec(
    "admin-reviewer",
    (
        Group(
            None,
            (
                Field(
                    "reviewer_id",
                    N_("Reviewer's user name"),
                    missing=N_("Enter the reviewer's user name"),
                    hint=N_("As they sign in, for example nadia@mifi."),
                    width="medium",
                ),
            ),
        ),
    ),
)


def _count(name: str, label: str) -> Field:
    return Field(name, label, width="short", max_length=7)


def _per_code(name: str) -> Field:
    return Field(
        name,
        N_("Interventions per code"),
        hint=N_("Each code with its target, separated by commas, for example ACC 400, EVB 300, SUI 900."),
        max_length=600,
    )


def _targets() -> tuple[Group, ...]:
    return tuple(
        Group(
            PERIOD_NAMES[p],
            (
                _count(f"persons_{p}", N_("Unique persons")),
                _count(f"plans_{p}", N_("Action plans")),
                _per_code(f"codes_{p}"),
            ),
        )
        for p in PERIODS
    )


_TERMS = Group(
    N_("Volets and funding"),
    (
        Field(
            "volets",
            N_("Volets"),
            kind="checkboxes",
            choices="volets",
            missing=N_("Choose at least one volet"),
        ),
        Field(
            "fiscal_year",
            N_("Fiscal year of the funding and targets"),
            missing=N_("Enter the fiscal year"),
            hint=N_("April 1 to March 31, for example 2026-2027."),
            width="short",
            max_length=9,
        ),
        Field(
            "amount",
            N_("Funding for that year (dollars)"),
            hint=N_("For example 850000 or 850000.50."),
            width="medium",
            max_length=15,
        ),
    ),
)
_DATES = Group(
    N_("Term"),
    (
        Field("starts_on", N_("Agreement start"), kind="date", missing=N_("Enter the start date")),
        Field("ends_on", N_("Agreement end"), kind="date", missing=N_("Enter the end date")),
    ),
)
AGREEMENT = FormSpec("admin-agreement", (_DATES, _TERMS, *_targets()), codes={"agreement.dates": "ends_on"})
AMENDMENT = FormSpec("admin-amendment", (_TERMS, *_targets(), Group(None, (_REASON,))))


def _due(n: int) -> Field:
    return Field(f"q{n}", PERIOD_NAMES[f"Q{n}"], kind="date", missing=N_("Enter the deadline"))


CALENDAR = FormSpec(
    "admin-calendar",
    (
        Group(N_("Submission deadlines"), tuple(_due(n) for n in range(1, 5))),
        Group(
            N_("Windows"),
            (
                Field(
                    "early_submission_days",
                    N_("Early submission (days before the quarter's end)"),
                    hint=N_("0: submission opens once the quarter has ended."),
                    width="short",
                    max_length=3,
                ),
                Field(
                    "control_window_days",
                    N_("Control window (days)"),
                    missing=N_("Enter the control window"),
                    width="short",
                    max_length=3,
                ),
                Field(
                    "resubmission_business_days",
                    N_("Resubmission window (business days)"),
                    missing=N_("Enter the resubmission window"),
                    width="short",
                    max_length=3,
                ),
            ),
        ),
    ),
)
UNLOCK = FormSpec(
    "admin-unlock",
    (
        Group(
            None,
            (
                Field(
                    "reason",
                    N_("Reason for unlocking"),
                    kind="textarea",
                    missing=N_("Enter the reason for unlocking"),
                    hint=N_("The organization can correct the quarter's interventions again."),
                    max_length=1000,
                    text=TextKind.LINES,
                ),
            ),
        ),
    ),
)
FORMS = {
    s.key: s
    for s in (ORGANIZATION, ORGANIZATION_CHANGE, CONTACT, REVIEWER, AGREEMENT, AMENDMENT, CALENDAR, UNLOCK)
}


def require_admin(user: User) -> None:
    """The administration pages are the programme administrators' (the services refuse the
    rest anyway: the page says so before asking)."""
    if "admin" not in user.roles:
        raise HTTPException(403)


def pick_lists(language: Language) -> dict[str, Options]:
    _ = gettext_for(language)
    return {
        "regions": options("regions", language),
        "volets": options("volets", language),
        "notice_languages": [(code, _(text)) for code, text in NOTICE_LANGUAGES.items()],
    }


def view(spec: FormSpec, values: Values, language: Language, **rest: Any) -> FormView:
    return FormView(spec, values, options=pick_lists(language), checked_at=CHECKED_AT, **rest)


def blank(spec: FormSpec, **given: Any) -> Values:
    return {**{f.name: [] if f.many else "" for f in spec.fields}, **given}


def read(spec: FormSpec, form: Any) -> Values:
    values: Values = {}
    for f in spec.fields:
        if f.many:
            values[f.name] = [str(v) for v in form.getlist(f.name) if isinstance(v, str) and v]
        else:
            raw = form.get(f.name)
            values[f.name] = raw if isinstance(raw, str) else ""
    return values


def check(spec: FormSpec, values: Values, language: Language) -> dict[str, str]:
    """Each field's first problem, in ``language``; the values are left cleaned (trimmed, NFC)."""
    _ = gettext_for(language)
    lists = pick_lists(language)
    errors = {f.name: p for f in spec.fields if (p := _problem(f, values, lists, _))}
    starts_on, ends_on = values.get("starts_on"), values.get("ends_on")
    if (
        starts_on
        and ends_on
        and "ends_on" not in errors
        and "starts_on" not in errors
        and ends_on <= starts_on
    ):
        errors["ends_on"] = _("The end must come after the start")
    return errors


def _problem(f: Field, values: Values, lists: dict[str, Options], _: Gettext) -> str | None:
    if f.many:
        allowed = {code for code, _text in lists[f.choices or ""]}
        if any(v not in allowed for v in values[f.name]):
            return _("Choose a value from the list")
        return _(f.missing) if f.missing and not values[f.name] else None
    try:
        value = values[f.name] = clean(values[f.name], f.text)
    except TextRefused as refused:
        return _(
            "%(label)s contains a character that cannot be saved (%(character)s, position %(position)d)"
        ) % {
            "label": _(f.label),
            "character": refused.character,
            "position": refused.position + 1,
        }
    if not value:
        return _(f.missing) if f.missing else None
    if len(value) > f.max_length:
        return _("%(label)s: %(max)d characters at most") % {"label": _(f.label), "max": f.max_length}
    if f.choices:
        return None if value in {c for c, _t in lists[f.choices]} else _("Choose a value from the list")
    return _format(f, value, _)


def _format(f: Field, value: str, _: Gettext) -> str | None:
    label = _(f.label)
    if f.kind == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return _("%(label)s must be a real date, for example 2026-03-12") % {"label": label}
    elif f.name in _COUNTS:
        if not value.isdigit() or int(value) > _COUNTS[f.name]:
            return _("%(label)s must be a whole number from 0 to %(max)s") % {
                "label": label,
                "max": _COUNTS[f.name],
            }
    elif f.name.startswith("codes_") and code_targets(value) is None:
        return _("%(label)s: write each code once with its target, for example ACC 400, EVB 300") % {
            "label": label
        }
    elif f.name == "amount" and dollars_to_cents(value) is None:
        return _("Enter an amount in dollars, for example 850000 or 850000.50")
    elif f.name == "fiscal_year" and fiscal_year_start(value) is None:
        return _("Enter a fiscal year such as 2026-2027")
    elif f.name == "organization_id" and not _SLUG.match(value):
        return _("Use lower-case letters, digits and hyphens only, for example org-sherbrooke")
    elif f.kind == "email" and not _EMAIL.match(value):
        return _("Enter an email address, for example amina@example.org")
    elif f.name == "reviewer_id" and not _REVIEWER.match(value):
        return _("Enter the user name without spaces, for example nadia@mifi")
    return None


def code_targets(text: str) -> dict[str, int] | None:
    """``ACC 400, EVB 300`` as ``{"ACC": 400, "EVB": 300}`` (empty: none); None when a part is
    not a three-letter code and a whole number, a code comes twice or a figure is too large."""
    found: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in re.split(r"[,;\n]", text))):
        match = _CODE_TARGET.fullmatch(part)
        if not match or match[1].upper() in found or int(match[2]) > MOST_PER_CODE:
            return None
        found[match[1].upper()] = int(match[2])
    return found


def code_targets_text(targets: dict[str, int]) -> str:
    return ", ".join(f"{code} {n}" for code, n in sorted(targets.items()))


def dollars_to_cents(text: str) -> int | None:
    found = re.fullmatch(r"(\d{1,12})(?:[.,](\d{1,2}))?", text.replace(" ", "").replace("\u00a0", ""))
    if not found:
        return None
    return int(found[1]) * 100 + int((found[2] or "0").ljust(2, "0"))


def fiscal_year_start(text: str) -> int | None:
    found = _FISCAL_YEAR.match(text)
    if not found or int(found[2]) != int(found[1]) + 1:
        return None
    return int(found[1])
