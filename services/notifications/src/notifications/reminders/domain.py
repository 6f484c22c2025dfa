"""Which reminders fall due on a day: pure, from the schedule (data), the calendar, the state of
each report and the open regionalization checkpoints.

A reminder fires on its date, or within ``grace_days`` after it when the scheduler was not running
that day, and only while its condition holds *on the day it fires*: a D-1 reminder is not sent to
an organization that submitted the day before. Each one carries a deduplication key, so a
reminder evaluated again — next tick, another instance, after a restart — is recorded once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from gsi_kernel.events import DomainEvent
from gsi_kernel.fields import label
from gsi_kernel.fiscal import FiscalQuarter
from notifications.notices.values import Audience, NoticeKind

_Offsets = tuple[int, ...]


class Schedule(BaseModel):
    """The reminder offsets, in calendar days (data an administrator may change)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    deadline_reminders: _Offsets = Field(
        default=(15, 7, 1),
        description="jours avant l'échéance",
        json_schema_extra=label("Rappels avant l'échéance (jours)", "Reminders before the deadline (days)"),
    )
    deadline_missed: bool = Field(
        default=True,
        description="avis le lendemain de l'échéance manquée",
        json_schema_extra=label("Avis d'échéance manquée", "Missed-deadline notice"),
    )
    escalations: _Offsets = Field(
        default=(7,),
        description="jours après l'échéance, si non soumis",
        json_schema_extra=label("Relances après l'échéance (jours)", "Escalations after the deadline (days)"),
    )
    control_reminders: _Offsets = Field(
        default=(20,),
        description="jours après la soumission",
        json_schema_extra=label("Rappels de contrôle (jours)", "Control reminders (days)"),
    )
    resubmission_reminders: _Offsets = Field(
        default=(3,),
        description="jours avant la resoumission",
        json_schema_extra=label("Rappels de resoumission (jours)", "Resubmission reminders (days)"),
    )
    checkpoint_reminders: _Offsets = Field(
        default=(0,),
        description="jours avant un jalon",
        json_schema_extra=label("Rappels de jalon (jours)", "Checkpoint reminders (days)"),
    )
    grace_days: int = Field(
        default=3,
        ge=0,
        le=30,
        description="rattrapage d'un rappel manqué",
        json_schema_extra=label("Jours de rattrapage", "Grace days"),
    )

    @field_validator(
        "deadline_reminders",
        "escalations",
        "control_reminders",
        "resubmission_reminders",
        "checkpoint_reminders",
    )
    @classmethod
    def _offsets(cls, value: _Offsets) -> _Offsets:
        if any(not 0 <= days <= 120 for days in value) or len(set(value)) != len(value):
            raise PydanticCustomError(
                "schedule.offsets",
                "offsets are distinct numbers of days between 0 and 120",
                {
                    "fr": "des nombres de jours distincts, de 0 à 120.",
                    "en": "distinct numbers of days, 0 to 120.",
                },
            )
        return tuple(sorted(value, reverse=True))


class ScheduleConfigured(DomainEvent):
    event_type = "ScheduleConfigured"

    schedule: Schedule
    reason: str


SCHEDULE_STREAM = "schedule-reminders"


def configure(history: Sequence[DomainEvent], schedule: Schedule, reason: str) -> list[DomainEvent]:
    current = current_schedule(history)
    return [] if current == schedule else [ScheduleConfigured(schedule=schedule, reason=reason)]


def current_schedule(history: Sequence[DomainEvent]) -> Schedule:
    configured = [e.schedule for e in history if isinstance(e, ScheduleConfigured)]
    return configured[-1] if configured else Schedule()


@dataclass(frozen=True, slots=True)
class ReportState:
    """Where an organization's report for a quarter stands (None: never submitted)."""

    state: str | None = None  # submitted | under_control | accepted | rejected | locked
    submission_version: int = 0
    submitted_on: date | None = None
    control_due: date | None = None
    rejection_number: int = 0
    resubmission_due: date | None = None


@dataclass(frozen=True, slots=True)
class OrganizationQuarter:
    """An organization bound to report on a quarter (an agreement covers part of it)."""

    organization_id: str
    quarter: FiscalQuarter
    submission_due: date
    report: ReportState = field(default_factory=ReportState)


@dataclass(frozen=True, slots=True)
class OpenCheckpoint:
    follow_up_id: str
    organization_id: str
    person_id: str
    destination_region: str
    months: int
    due_on: date


@dataclass(frozen=True, slots=True)
class DueReminder:
    dedupe_key: str
    kind: NoticeKind
    audience: Audience
    organization_id: str
    quarter: str | None
    data: dict[str, Any]


def due_reminders(
    schedule: Schedule,
    today: date,
    quarters: Sequence[OrganizationQuarter],
    checkpoints: Sequence[OpenCheckpoint],
) -> list[DueReminder]:
    found = [r for q in quarters for r in _for_quarter(schedule, today, q)]
    found += [r for c in checkpoints for r in _for_checkpoint(schedule, today, c)]
    return found


def _fires(schedule: Schedule, today: date, on: date) -> bool:
    return on <= today <= on + timedelta(days=schedule.grace_days)


def _for_quarter(schedule: Schedule, today: date, q: OrganizationQuarter) -> Iterator[DueReminder]:
    report, key = q.report, f"{q.organization_id}:{q.quarter}"

    def reminder(suffix: str, kind: NoticeKind, audience: Audience, **data: Any) -> DueReminder:
        return DueReminder(f"{key}:{suffix}", kind, audience, q.organization_id, str(q.quarter), data)

    if report.state is None:
        yield from _before_deadline(schedule, today, q, reminder)
    state = report.state
    if state in ("submitted", "under_control") and report.submitted_on is not None:
        for days in schedule.control_reminders:
            if _fires(schedule, today, report.submitted_on + timedelta(days=days)):
                yield reminder(
                    f"control_reminder:v{report.submission_version}:D+{days}",
                    NoticeKind.CONTROL_REMINDER,
                    Audience.MINISTRY,
                    submitted_on=report.submitted_on.isoformat(),
                    control_due=report.control_due.isoformat() if report.control_due else None,
                    submission_version=report.submission_version,
                )
    if state == "rejected" and report.resubmission_due is not None:
        for days in schedule.resubmission_reminders:
            on = report.resubmission_due - timedelta(days=days)
            if _fires(schedule, today, on) and today <= report.resubmission_due:
                yield reminder(
                    f"resubmission_reminder:r{report.rejection_number}:D-{days}",
                    NoticeKind.RESUBMISSION_REMINDER,
                    Audience.ORGANIZATION,
                    resubmission_due=report.resubmission_due.isoformat(),
                    rejection_number=report.rejection_number,
                    days_left=(report.resubmission_due - today).days,
                )


def _before_deadline(
    schedule: Schedule, today: date, q: OrganizationQuarter, reminder: Callable[..., DueReminder]
) -> Iterator[DueReminder]:
    """While nothing has been submitted: D-n reminders, the missed deadline, the escalations."""
    due = q.submission_due
    for days in schedule.deadline_reminders:
        if _fires(schedule, today, due - timedelta(days=days)) and today <= due:
            yield reminder(
                f"deadline_reminder:D-{days}",
                NoticeKind.DEADLINE_REMINDER,
                Audience.ORGANIZATION,
                deadline=due.isoformat(),
                days_left=(due - today).days,
            )
    missed_on = due + timedelta(days=1)
    if schedule.deadline_missed and _fires(schedule, today, missed_on):
        for audience in Audience:
            yield reminder(
                f"deadline_missed:{audience}",
                NoticeKind.DEADLINE_MISSED,
                audience,
                deadline=due.isoformat(),
            )
    for days in schedule.escalations:
        if _fires(schedule, today, due + timedelta(days=days)):
            for audience in Audience:
                yield reminder(
                    f"deadline_escalation:D+{days}:{audience}",
                    NoticeKind.DEADLINE_ESCALATION,
                    audience,
                    deadline=due.isoformat(),
                    days_late=(today - due).days,
                )


def _for_checkpoint(schedule: Schedule, today: date, c: OpenCheckpoint) -> Iterator[DueReminder]:
    for days in schedule.checkpoint_reminders:
        if _fires(schedule, today, c.due_on - timedelta(days=days)):
            yield DueReminder(
                f"{c.organization_id}:checkpoint:{c.follow_up_id}:{c.months}:D-{days}",
                NoticeKind.CHECKPOINT_DUE,
                Audience.ORGANIZATION,
                c.organization_id,
                None,
                {
                    "follow_up_id": c.follow_up_id,
                    "person_ref": c.person_id,
                    "months": c.months,
                    "due_on": c.due_on.isoformat(),
                    "destination_region": c.destination_region,
                },
            )
