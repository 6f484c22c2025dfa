"""A person's journey on one timeline, newest first: the registration, the current status, every
intervention, the action plan's opening, follow-ups and closing, and the regionalization
checkpoints (done, or due). Built from what registration and interventions answered; each
entry says what happened in the person's language, by date, code and name (never an id)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from gsi_kernel.clock import MONTREAL
from portal.i18n import N_, Language
from portal.routes.persons_choices import STATUSES, Gettext, gettext_for, regions

MODES = {"in_person": N_("In person"), "remote": N_("Remote"), "group": N_("Group")}


@dataclass(frozen=True)
class Entry:
    day: date
    kind: str  # registration, status, intervention, plan, regionalization
    title: str
    detail: str = ""
    tag: tuple[str, str] | None = None  # (text, tag kind)


def day_of(value: str | None) -> date | None:
    """A date, or a moment as its day in Montréal."""
    if not value:
        return None
    if "T" in value:
        return datetime.fromisoformat(value).astimezone(MONTREAL).date()
    return date.fromisoformat(value)


def code_name(codes: Mapping[str, Any], code: str, language: Language) -> str:
    entry = codes.get(code)
    name = entry.get(language) if isinstance(entry, dict) else None
    return f"{code} — {name}" if name else code


def timeline(
    person: Mapping[str, Any],
    interventions: Iterable[Mapping[str, Any]],
    plans: Iterable[Mapping[str, Any]],
    follow_ups: Iterable[Mapping[str, Any]],
    codes: Mapping[str, Any],
    language: Language,
    today: date,
) -> list[Entry]:
    _ = gettext_for(language)
    entries = [*_file(person, _), *_interventions(interventions, codes, language)]
    for plan in plans:
        entries += _plan(plan, _)
    for follow_up in follow_ups:
        entries += _regionalization(follow_up, today, _)
    return sorted(entries, key=lambda e: e.day, reverse=True)


def _file(person: Mapping[str, Any], _: Gettext) -> list[Entry]:
    registered = day_of(person.get("registered_at"))
    since = day_of(person.get("status_since"))
    found = []
    if registered:
        found.append(Entry(registered, "registration", _("Registered by your organization")))
    if since:
        status = (
            _(STATUSES[person["status"]]) if person.get("status") in STATUSES else str(person.get("status"))
        )
        found.append(Entry(since, "status", _("Status: %(status)s") % {"status": status}))
    return found


def _interventions(
    found: Iterable[Mapping[str, Any]], codes: Mapping[str, Any], language: Language
) -> list[Entry]:
    _ = gettext_for(language)
    entries = []
    for i in found:
        day = day_of(i.get("service_date"))
        if day is None:
            continue
        mode = _(MODES[i["mode"]]) if i.get("mode") in MODES else str(i.get("mode", ""))
        detail = _("%(volet)s, %(minutes)d min, %(mode)s, by %(staff)s") % {
            "volet": i.get("volet", ""),
            "minutes": int(i.get("duration_minutes") or 0),
            "mode": mode.lower() if language == "fr" else mode,
            "staff": i.get("staff_member", ""),
        }
        tag = None
        if i.get("status") == "cancelled":
            tag = (_("Cancelled"), "neutral")
        elif int(i.get("errors") or 0):
            tag = (_("Flagged"), "danger")
        elif int(i.get("warnings") or 0):
            tag = (_("Warning"), "warning")
        entries.append(
            Entry(day, "intervention", code_name(codes, str(i.get("code")), language), detail, tag)
        )
    return entries


def _plan(plan: Mapping[str, Any], _: Gettext) -> list[Entry]:
    entries = []
    opened = day_of(plan.get("opened_on"))
    if opened:
        entries.append(Entry(opened, "plan", _("Action plan opened")))
    for follow_up in plan.get("follow_ups") or ():
        held = day_of(follow_up.get("held_on"))
        if held:
            detail = f"{follow_up.get('note', '')} ({follow_up.get('staff_member', '')})"
            entries.append(Entry(held, "plan", _("Action plan follow-up"), detail))
    closed = day_of(plan.get("closed_on"))
    if closed:
        entries.append(Entry(closed, "plan", _("Action plan closed"), str(plan.get("closure_reason") or "")))
    return entries


OUTCOMES = {"stayed": N_("Still in the region"), "moved": N_("Moved away"), "unknown": N_("Not known")}


def _regionalization(follow_up: Mapping[str, Any], today: date, _: Gettext) -> list[Entry]:
    entries = []
    region = regions().label(follow_up.get("destination_region"))
    opened = day_of(follow_up.get("opened_on"))
    if opened:
        entries.append(Entry(opened, "regionalization", _("Settled in %(region)s") % {"region": region}))
    for checkpoint in follow_up.get("checkpoints") or ():
        months = int(checkpoint.get("months") or 0)
        title = _("Regionalization checkpoint at %(months)d months") % {"months": months}
        recorded, due = day_of(checkpoint.get("recorded_on")), day_of(checkpoint.get("due_on"))
        outcome = checkpoint.get("outcome")
        if recorded and outcome:
            text = _(OUTCOMES[outcome]) if outcome in OUTCOMES else str(outcome)
            entries.append(Entry(recorded, "regionalization", title, text))
        elif due:
            late = due < today
            tag = (_("Overdue"), "danger") if late else (_("Due"), "info")
            entries.append(Entry(due, "regionalization", title, "", tag))
    return entries
