"""What the control page (``/controle/{organization}/{quarter}``) reads and how its rejection
form is read: the report, its history, its latest submission's integrity and frozen
interventions (each named by person, date and code, with its flags), the findings by check.

The frozen submission is read a page of the table at a time, filtered on reporting's side
(:mod:`portal.routes.review_submission`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import Request

from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.text import TextKind, TextRefused, clean
from portal.auth import SignedIn
from portal.backend import BackendRefused, Backends
from portal.i18n import N_, Language
from portal.routes.interventions_common import CHECKS
from portal.routes.persons_choices import gettext_for
from portal.routes.persons_common import take_flash
from portal.routes.review_queue import ministry_unread, organizations
from portal.routes.review_submission import (
    flagged,
    frozen,
    rejection_action,
    submission_page,
    table_page,
)

REASON_MAX = 2000  # reporting's longest reason per intervention
GLOBAL_REASON_MAX = 4000
REASON_MIN = 3
# What reviewers most often write: offered in a pick-list, any other text allowed.
COMMON_REASONS = (
    N_("Follow-up without an active action plan"),
    N_("Duplicate of another intervention"),
    N_("Person not eligible on the service date"),
    N_("Code or volet not covered by the agreement"),
    N_("Service date outside the quarter"),
    N_("Duration missing or implausible"),
)


def control_path(organization_id: str, quarter: FiscalQuarter | str) -> str:
    return f"/controle/{organization_id}/{quarter}"


@dataclass
class RejectionForm:
    """The rejection as typed: the global reason, the interventions ticked and their reasons."""

    reason: str = ""
    ticked: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    due: str = ""  # the resubmission deadline chosen (ISO), empty: the calendar's

    def body(self) -> dict[str, Any]:
        items = [{"intervention_id": i, "reason": self.reasons[i]} for i in self.ticked]
        return {"reason": self.reason, "items": items} | ({"resubmission_due": self.due} if self.due else {})


def read_rejection(form: Any, known: set[str], language: Language) -> RejectionForm:
    """The rejection form read: each ticked intervention needs its reason, the global reason
    3 characters at least; text reporting would refuse is refused here, beside its field."""
    _ = gettext_for(language)
    typed = RejectionForm()
    typed.reason = _cleaned(form.get("reason"), "reason", GLOBAL_REASON_MAX, typed.errors, language)
    if len(typed.reason) < REASON_MIN and "reason" not in typed.errors:
        typed.errors["reason"] = _("Give the reason for the rejection (%(min)d characters at least)") % {
            "min": REASON_MIN
        }
    typed.ticked = [i for i in form.getlist("reject") if isinstance(i, str) and i in known]
    for key in typed.ticked:
        name = f"reason-{key}"
        typed.reasons[key] = _cleaned(form.get(name), name, REASON_MAX, typed.errors, language)
        if len(typed.reasons[key]) < REASON_MIN and name not in typed.errors:
            typed.errors[name] = _("Give the reason for this intervention (%(min)d characters at least)") % {
                "min": REASON_MIN
            }
    typed.due = _day(form.get("resubmission_due"), typed.errors, language)
    for key in known - set(typed.ticked):  # a reason typed for an intervention not ticked: kept
        raw = form.get(f"reason-{key}")
        if isinstance(raw, str) and raw.strip():
            typed.reasons[key] = raw
    return typed


def _day(raw: Any, errors: dict[str, str], language: Language) -> str:
    """The resubmission deadline typed (empty: the calendar's); which days reporting accepts is
    its own to say (a business day after today, within its longest window)."""
    _ = gettext_for(language)
    text = raw.strip() if isinstance(raw, str) else ""
    try:
        return date.fromisoformat(text).isoformat() if text else ""
    except ValueError:
        errors["resubmission_due"] = _("Enter the last day to resubmit, as a date")
        return text


def _cleaned(raw: Any, name: str, most: int, errors: dict[str, str], language: Language) -> str:
    _ = gettext_for(language)
    text = raw if isinstance(raw, str) else ""
    try:
        text = clean(text, TextKind.LINES)
    except TextRefused as refused:
        errors[name] = _("The text contains a character that cannot be saved (position %(position)d)") % {
            "position": refused.position + 1
        }
        return text
    if len(text) > most:
        errors[name] = _("%(max)d characters at most") % {"max": most}
    return text


async def _integrity(backends: Backends, token: str, path: str, version: int) -> dict[str, Any] | None:
    if not version:
        return None
    found: dict[str, Any] = await backends.get("reporting", f"{path}/integrity", token=token)
    return found


async def _resubmission_window(
    backends: Backends, token: str, path: str, state: str
) -> dict[str, Any] | None:
    """While a rejection may be made: the deadline it would give by default (prefilled in the
    form) and the days the reviewer may choose instead (reporting's rule, checked there too)."""
    if state != "under_control":
        return None
    try:
        found: dict[str, Any] = await backends.get("reporting", f"{path}/resubmission-window", token=token)
    except BackendRefused:
        return None
    return found


async def control_context(
    request: Request, backends: Backends, who: SignedIn, organization_id: str, season: FiscalQuarter
) -> dict[str, Any]:
    """Everything the control page shows, its independent calls made together."""
    path = f"/reports/{organization_id}/{season}"
    report = await backends.get("reporting", path, token=who.token)  # 404 first, if not theirs
    version = int(report["submission_version"])
    check = str(request.query_params.get("controle", ""))
    check = check if check in CHECKS else ""
    number = table_page(request.query_params)
    history, integrity, page, samples, orgs, unread, window = await asyncio.gather(
        backends.get("reporting", f"{path}/history", token=who.token),
        _integrity(backends, who.token, path, version),
        submission_page(backends, who.token, path, version, check, number),
        flagged(backends, who.token, path, version),
        organizations(backends, who),
        ministry_unread(backends, who.token),
        _resubmission_window(backends, who.token, path, str(report["state"])),
    )
    address = control_path(organization_id, season)
    shown = await frozen(backends, who.token, page, samples, integrity, (address, check, number))
    organization = orgs.get(organization_id, {"name": organization_id, "regions": []})
    return {
        "report": report,
        "organization": organization,
        "history": list(reversed(history)),
        "integrity": integrity,
        "items": shown.items,
        "matching": shown.matching,
        "all_items": shown.total,
        "pager": shown.pager,
        "rejection_action": rejection_action(address, check, number),
        "finding_counts": shown.counts,
        "items_by_id": shown.by_id,
        "persons": shown.persons,
        "groups": shown.groups,
        "check": check,
        "checks": CHECKS,
        "common_reasons": COMMON_REASONS,
        "resubmission_window": window,
        "quarter": season,
        "path": address,
        "unread": unread,
        "notice": take_flash(request),
        "errors": [],
        "rejection": RejectionForm(),
        "override_error": None,
        "override": "",
    }
