"""What the report, inbox and lock-exception pages share: the header's unread count, a report's
quarter read from the address, interventions named by person, date and code (never an id),
a service's refusal turned into an error summary's line; and the report page's pure parts: the
deadline still ahead, the findings grouped by check, the answers to a rejection as typed.

Interventions are looked up by quarter (``GET /interventions?quarter=…``, 200 a call, the pages
asked for together), then their persons in registration's list call: one round of calls per
page, never one per row.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from starlette.exceptions import HTTPException

from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.text import TextKind, TextRefused, clean
from portal.auth import SignedIn
from portal.backend import BackendRefused, Backends
from portal.i18n import Language
from portal.routes.interventions_common import PersonLabel, person_labels
from portal.routes.persons_choices import gettext_for

LOOKUP_PAGE = 200  # interventions' most rows per list call
ANSWER_MAX = 2000  # reporting's longest answer
OPEN_STATES = ("draft", "rejected")  # a deadline still ahead of the organization
LOOKUP_PAGES = 10  # 2,000 interventions named on one page at most; beyond, by code and date only


async def unread_count(backends: Backends, token: str, *, fresh: bool = False) -> int:
    """The header's badge, as counted at most a few seconds ago in this session
    (:mod:`portal.unread`); ``fresh``: asked now (the inbox's own pages)."""
    kept = None if fresh else backends.unread.get(token)
    if kept is not None:
        return kept
    answer = await backends.get("notifications", "/inbox/unread-count", token=token)
    backends.unread.put(token, int(answer["unread"]))
    return int(answer["unread"])


def quarter_of(text: str) -> FiscalQuarter:
    """The quarter an address names (``2026-2027-Q2``); anything else is not a page."""
    try:
        return FiscalQuarter.parse(text)
    except ValueError:
        raise HTTPException(404) from None


def own_organization(who: SignedIn, organization_id: str) -> None:
    """An organization's users see their own organization's pages; the ministry's are elsewhere
    (part 2), so another organization's address is simply not found."""
    if who.user.organization != organization_id:
        raise HTTPException(404)


@dataclass(frozen=True)
class InterventionLabel:
    """An intervention as a page names it: its person, its date and its code."""

    intervention_id: str
    person: PersonLabel
    service_date: str | None
    code: str | None

    @property
    def known(self) -> bool:
        return self.service_date is not None


class InterventionLabels(dict[str, InterventionLabel]):
    def __missing__(self, intervention_id: str) -> InterventionLabel:
        return InterventionLabel(intervention_id, PersonLabel.unknown(""), None, None)


async def quarter_interventions(backends: Backends, token: str, quarter: str) -> list[dict[str, Any]]:
    """The quarter's interventions (the first pages, asked for together once the total is known)."""
    first = await backends.get(
        "interventions",
        "/interventions",
        token=token,
        quarter=quarter,
        limit=LOOKUP_PAGE,
        sort="service_date",
    )
    total = min(int(first["total"]), LOOKUP_PAGE * LOOKUP_PAGES)
    rest = await asyncio.gather(
        *(
            backends.get(
                "interventions",
                "/interventions",
                token=token,
                quarter=quarter,
                limit=LOOKUP_PAGE,
                offset=offset,
                sort="service_date",
            )
            for offset in range(LOOKUP_PAGE, total, LOOKUP_PAGE)
        )
    )
    return [row for page in (first, *rest) for row in page["items"]]


async def intervention_labels(
    backends: Backends, token: str, quarter: str, wanted: Iterable[str] | None = None
) -> tuple[InterventionLabels, list[dict[str, Any]]]:
    """Names for the quarter's interventions (``wanted``: only those, when given), and the
    quarter's rows themselves."""
    rows = await quarter_interventions(backends, token, quarter)
    keep = set(wanted) if wanted is not None else None
    chosen = [r for r in rows if keep is None or r["intervention_id"] in keep]
    persons = await person_labels(backends, token, (r.get("person_id") for r in chosen))
    labels = InterventionLabels(
        {
            str(r["intervention_id"]): InterventionLabel(
                str(r["intervention_id"]), persons[str(r["person_id"])], r.get("service_date"), r.get("code")
            )
            for r in chosen
        }
    )
    return labels, rows


def refusal(refused: BackendRefused, language: Language) -> str:
    """A step the service refused (409, 422, 423…), said as the service says it; 403 and 404
    stay error pages (not allowed, not found)."""
    if refused.status in (403, 404):
        raise refused
    return refused.message(language)


@dataclass(frozen=True)
class Deadline:
    due: date
    days_left: int
    resubmission: bool


def deadline(report: dict[str, Any], today: date) -> Deadline | None:
    """What the organization must still meet: the submission's deadline in draft, the
    resubmission's after a rejection; nothing once submitted."""
    if report["state"] not in OPEN_STATES:
        return None
    resubmission = report["state"] == "rejected"
    text = report.get("resubmission_due" if resubmission else "submission_due")
    if not text:
        return None
    due = date.fromisoformat(text)
    return Deadline(due, (due - today).days, resubmission)


def findings_by_check(findings: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The findings by check (C1 to C8), errors before warnings within each."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        groups.setdefault(str(finding["check"]), []).append(finding)
    return [
        (check, sorted(items, key=lambda f: f["severity"] != "error"))
        for check, items in sorted(groups.items())
    ]


def read_answers(
    form: Any, items: list[dict[str, Any]], language: Language
) -> tuple[dict[str, str], dict[str, str]]:
    """The answers typed, by intervention, and each one's problem (a character reporting would
    refuse, too long); none typed at all is a problem of the first."""
    _ = gettext_for(language)
    answers: dict[str, str] = {}
    errors: dict[str, str] = {}
    for item in items:
        key = str(item["intervention_id"])
        raw = form.get(f"answer-{key}")
        text = raw if isinstance(raw, str) else ""
        try:
            answers[key] = clean(text, TextKind.LINES)
        except TextRefused as refused:
            answers[key] = text
            errors[key] = _(
                "The answer contains a character that cannot be saved (position %(position)d)"
            ) % {"position": refused.position + 1}
            continue
        if len(answers[key]) > ANSWER_MAX:
            errors[key] = _("An answer has %(max)d characters at most") % {"max": ANSWER_MAX}
    if items and not any(answers.values()) and not errors:
        errors[str(items[0]["intervention_id"])] = _("Answer at least one of the reasons")
    return answers, errors
