"""What the programme-rules pages are made of: the two kinds of rules and where their services
serve them, the publishing form, a version's settings and a comparison's changes as table rows
(each value as text), and a refused proposal put back on the form's fields."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gsi_kernel.text import TextKind
from portal.forms import Field, FormSpec, Group
from portal.i18n import N_, Language


@dataclass(frozen=True)
class Rules:
    """One kind of programme rules, as its service serves them."""

    slug: str
    title: str
    service: str
    listing: str  # the versions with who published them
    version_path: str  # "{version}" and "{program}" filled in
    preview: str
    publish: str


KINDS = {
    r.slug: r
    for r in (
        Rules(
            "admissibilite",
            N_("Eligibility rules"),
            "registration",
            "/rule-sets",
            "/rule-sets/{program}/{version}",
            "/rule-sets/preview",
            "/rule-sets",
        ),
        Rules(
            "catalogue",
            N_("Intervention catalogue"),
            "interventions",
            "/catalogue/history",
            "/catalogue/versions/{version}",
            "/catalogue/preview",
            "/catalogue",
        ),
    )
}

PUBLISH = FormSpec(
    "admin-rules-publish",
    (
        Group(
            None,
            (
                Field(
                    "version",
                    N_("Version number"),
                    missing=N_("Enter the new version's number"),
                    hint=N_("Letters, digits, dots and hyphens, for example 2027.1."),
                    max_length=40,
                    width="short",
                ),
                Field(
                    "effective_from",
                    N_("In force from"),
                    kind="date",
                    missing=N_("Enter the date the version takes effect"),
                    hint=N_("Tomorrow at the earliest: a version is never retroactive."),
                ),
                Field(
                    "document",
                    N_("Rules (JSON document)"),
                    kind="textarea",
                    missing=N_("Enter the rules as a JSON document"),
                    hint=N_("The latest version, to change as needed; its number and date are above."),
                    max_length=500_000,
                    text=TextKind.LINES,
                ),
                Field(
                    "reason",
                    N_("Reason for the new version"),
                    kind="textarea",
                    missing=N_("Enter the reason for the new version"),
                    hint=N_("Kept with the version and shown in its history."),
                    max_length=1000,
                    text=TextKind.LINES,
                ),
            ),
        ),
    ),
)


# The part of a refusal's code (``rules.…``, ``catalogue.…``) that names the field it is about.
_FIELDS = {
    "duplicate_version": "version",
    "retroactive": "effective_from",
    "not_after_latest": "effective_from",
    "duplicate_effective_date": "effective_from",
    "invalid": "document",
}


def shown(value: Any) -> str:
    """A setting's value as the page shows it: text as is, anything else as JSON."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def setting_rows(settings: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(path, shown(value)) for path, value in settings.items()]


def change_rows(changes: list[dict[str, Any]], _language: Language) -> list[dict[str, str]]:
    return [
        {"path": c["path"], "kind": c["kind"], "before": shown(c["before"]), "after": shown(c["after"])}
        for c in changes
    ]


def refusal_of(body: Mapping[str, Any], language: Language) -> tuple[dict[str, str], list[str]]:
    """The service's refusal, in ``language``, beside the field it concerns (else above the form);
    an invalid document's problems follow its message, each with where it is."""
    message = body.get("message")
    text = (
        str(message.get(language) or message.get("fr") or "")
        if isinstance(message, dict)
        else str(message or "")
    )
    details = body.get("details") if isinstance(body.get("details"), dict) else {}
    problems = details.get("errors") if isinstance(details, dict) else None
    if isinstance(problems, list) and problems:
        text += " " + "; ".join(_problem(p) for p in problems[:5] if isinstance(p, dict))
    field = _FIELDS.get(str(body.get("code", "")).rpartition(".")[2])
    return ({field: text}, []) if field else ({}, [text])


def _problem(entry: Mapping[str, Any]) -> str:
    where = entry.get("location") or entry.get("loc") or ()
    what = entry.get("reason") or entry.get("msg") or ""
    place = ".".join(str(p) for p in where) if isinstance(where, list) else str(where)
    return f"{place} : {what}" if place else str(what)
