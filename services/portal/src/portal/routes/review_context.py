"""What the control page (``/controle/{organization}/{quarter}``) reads and how its rejection
form is read: the report, its history, its latest submission's integrity and frozen
interventions (each named by person, date and code, with its flags), the findings by check.

The frozen submission is read a page of 200 at a time, the pages asked for together once the
count is known; its persons in registration's list call, in chunks: one round of calls per page.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.text import TextKind, TextRefused, clean
from portal.auth import SignedIn
from portal.backend import BackendRefused, Backends
from portal.i18n import N_, Language
from portal.routes.interventions_common import CHECKS, PersonLabels, person_labels
from portal.routes.persons_choices import gettext_for
from portal.routes.persons_common import take_flash
from portal.routes.reports_common import findings_by_check
from portal.routes.review_queue import ministry_unread, organizations

PAGE = 200  # reporting's largest page
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


async def submission_items(backends: Backends, token: str, path: str, version: int) -> list[dict[str, Any]]:
    """Every intervention the submission froze, with its flags."""
    first = await backends.get("reporting", f"{path}/submissions/{version}", token=token, limit=PAGE)
    rest = await asyncio.gather(
        *(
            backends.get("reporting", f"{path}/submissions/{version}", token=token, limit=PAGE, offset=offset)
            for offset in range(PAGE, int(first["interventions_count"]), PAGE)
        )
    )
    return [item for page in (first, *rest) for item in page["items"]]


@dataclass
class RejectionForm:
    """The rejection as typed: the global reason, the interventions ticked and their reasons."""

    reason: str = ""
    ticked: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        items = [{"intervention_id": i, "reason": self.reasons[i]} for i in self.ticked]
        return {"reason": self.reason, "items": items}


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
    for key in known - set(typed.ticked):  # a reason typed for an intervention not ticked: kept
        raw = form.get(f"reason-{key}")
        if isinstance(raw, str) and raw.strip():
            typed.reasons[key] = raw
    return typed


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


async def _frozen(
    backends: Backends, token: str, path: str, version: int
) -> tuple[list[dict[str, Any]], PersonLabels]:
    if not version:
        return [], PersonLabels()
    items = await submission_items(backends, token, path, version)
    persons = await person_labels(backends, token, (i.get("person_id") for i in items))
    return items, persons


async def _resubmission_days(backends: Backends, token: str, season: FiscalQuarter) -> int | None:
    """The business days the calendar gives to resubmit (reporting sets the date itself)."""
    try:
        found = await backends.get(
            "reporting", f"/calendar/{season.start_year}-{season.start_year + 1}", token=token
        )
    except BackendRefused:
        return None
    days = found.get("resubmission_business_days")
    return int(days) if days is not None else None


async def control_context(
    request: Request, backends: Backends, who: SignedIn, organization_id: str, season: FiscalQuarter
) -> dict[str, Any]:
    """Everything the control page shows, its independent calls made together."""
    path = f"/reports/{organization_id}/{season}"
    report = await backends.get("reporting", path, token=who.token)  # 404 first, if not theirs
    version = int(report["submission_version"])
    history, integrity, (items, persons), orgs, unread, days = await asyncio.gather(
        backends.get("reporting", f"{path}/history", token=who.token),
        _integrity(backends, who.token, path, version),
        _frozen(backends, who.token, path, version),
        organizations(backends, who),
        ministry_unread(backends, who.token),
        _resubmission_days(backends, who.token, season),
    )
    check = str(request.query_params.get("controle", ""))
    check = check if check in CHECKS else ""
    shown = [i for i in items if not check or any(f["check"] == check for f in i["flags"])]
    findings = [f for i in items for f in i["flags"]]
    organization = orgs.get(organization_id, {"name": organization_id, "regions": []})
    return {
        "report": report,
        "organization": organization,
        "history": list(reversed(history)),
        "integrity": integrity,
        "items": shown,
        "all_items": len(items),
        "items_by_id": {i["intervention_id"]: i for i in items},
        "persons": persons,
        "groups": findings_by_check(findings),
        "check": check,
        "checks": CHECKS,
        "common_reasons": COMMON_REASONS,
        "resubmission_days": days,
        "quarter": season,
        "path": control_path(organization_id, season),
        "unread": unread,
        "notice": take_flash(request),
        "errors": [],
        "rejection": RejectionForm(),
        "override_error": None,
        "override": "",
    }
