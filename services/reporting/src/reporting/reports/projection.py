"""Reports, their submissions (items and frozen findings), rejections and fiscal-year
calendars: projections of this service's own store (rebuildable from its events)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, delete, insert, update

from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.events import DomainEvent
from gsi_kernel.projections import EventByEvent
from reporting.calendar.domain import FiscalYearCalendarSet
from reporting.event_registry import EVENTS
from reporting.reports import events as ev
from reporting.tables import (
    fiscal_calendars,
    rejection_items,
    rejections,
    report_submissions,
    reports,
    submission_findings,
    submission_items,
)

_TABLES = (
    reports,
    report_submissions,
    submission_items,
    submission_findings,
    rejections,
    rejection_items,
    fiscal_calendars,
)
Apply = Callable[[Connection, Any, EventEnvelope], dict[str, Any]]


class ReportsProjection(EventByEvent):
    name = "reporting.reports"

    def apply(self, connection: Connection, envelope: EventEnvelope) -> None:
        if envelope.type == FiscalYearCalendarSet.event_type:
            _calendar(
                connection, EVENTS.decode(envelope.type, envelope.schema_version, envelope.payload), envelope
            )
            return
        apply = _APPLY.get(envelope.type)
        if apply is None:
            return  # another part of the service's store (the registry)
        event = EVENTS.decode(envelope.type, envelope.schema_version, envelope.payload)
        assert isinstance(event, ev.ReportEvent)
        if envelope.stream_version == 1:
            connection.execute(insert(reports).values(_new_row(event, envelope)))
        values = apply(connection, event, envelope)
        connection.execute(
            update(reports)
            .where(reports.c.report_id == event.report_id)
            .values(**values, updated_at=envelope.occurred_at, updated_by=envelope.actor)
        )

    def reset(self, connection: Connection) -> None:
        for table in _TABLES:
            connection.execute(delete(table))


def _new_row(event: ev.ReportEvent, envelope: EventEnvelope) -> dict[str, Any]:
    return {
        "report_id": event.report_id,
        "organization_id": event.organization_id,
        "quarter": event.quarter,
        "state": "draft",
        "submission_version": 0,
        "interventions_count": 0,
        "persons_count": 0,
        "errors": 0,
        "warnings": 0,
        "late": False,
        "rejection_count": 0,
        "updated_at": envelope.occurred_at,
        "updated_by": envelope.actor,
    }


def _verified(_connection: Connection, event: ev.ReportVerified, envelope: EventEnvelope) -> dict[str, Any]:
    return {
        "verified_at": envelope.occurred_at,
        "verified_by": envelope.actor,
        "verified_errors": event.summary.errors,
        "verified_warnings": event.summary.warnings,
    }


def _submitted(connection: Connection, event: ev.ReportSubmitted, envelope: EventEnvelope) -> dict[str, Any]:
    key = {"report_id": event.report_id, "submission_version": event.submission_version}
    summary = event.summary
    connection.execute(
        insert(report_submissions).values(
            **key,
            organization_id=event.organization_id,
            quarter=event.quarter,
            sha256=event.sha256,
            interventions_count=event.interventions_count,
            persons_count=event.persons_count,
            errors=summary.errors,
            warnings=summary.warnings,
            by_check=summary.by_check,
            findings_truncated=event.findings_truncated,
            catalogue_versions=list(event.snapshot.catalogue_versions),
            rule_set_versions=list(event.snapshot.rule_set_versions),
            submitted_on=event.submitted_on,
            submission_due=event.submission_due,
            late=event.late,
            control_due=event.control_due,
            submitted_at=envelope.occurred_at,
            submitted_by=envelope.actor,
        )
    )
    items = [{**key, "intervention_id": i, "version": v} for i, v in event.snapshot.interventions]
    if items:
        connection.execute(insert(submission_items), items)
    findings = [{**key, "seq": n, **f.model_dump()} for n, f in enumerate(event.findings, start=1)]
    if findings:
        connection.execute(insert(submission_findings), findings)
    return {
        "state": "submitted",
        "submission_version": event.submission_version,
        "interventions_count": event.interventions_count,
        "persons_count": event.persons_count,
        "errors": summary.errors,
        "warnings": summary.warnings,
        "sha256": event.sha256,
        "submitted_at": envelope.occurred_at,
        "submitted_by": envelope.actor,
        "submission_due": event.submission_due,
        "late": event.late,
        "control_due": event.control_due,
        **dict.fromkeys(("taken_at", "taken_by", "decided_at", "decided_by", "override_reason"), None),
        "resubmission_due": None,
    }


def _taken(_connection: Connection, _event: DomainEvent, envelope: EventEnvelope) -> dict[str, Any]:
    return {"state": "under_control", "taken_at": envelope.occurred_at, "taken_by": envelope.actor}


def _accepted(_connection: Connection, event: ev.ReportAccepted, envelope: EventEnvelope) -> dict[str, Any]:
    return {
        "state": "accepted",
        "decided_at": envelope.occurred_at,
        "decided_by": envelope.actor,
        "override_reason": event.override_reason,
    }


def _rejected(connection: Connection, event: ev.ReportRejected, envelope: EventEnvelope) -> dict[str, Any]:
    key = {"report_id": event.report_id, "rejection_number": event.rejection_number}
    connection.execute(
        insert(rejections).values(
            **key,
            submission_version=event.submission_version,
            reason=event.reason,
            failed_checks=[c.model_dump() for c in event.failed_checks],
            resubmission_due=event.resubmission_due,
            rejected_at=envelope.occurred_at,
            rejected_by=envelope.actor,
        )
    )
    if event.items:
        rows = [{**key, "intervention_id": i.intervention_id, "reason": i.reason} for i in event.items]
        connection.execute(insert(rejection_items), rows)
    return {
        "state": "rejected",
        "decided_at": envelope.occurred_at,
        "decided_by": envelope.actor,
        "rejection_count": event.rejection_number,
        "resubmission_due": event.resubmission_due,
    }


def _answered(connection: Connection, event: ev.RejectionAnswered, envelope: EventEnvelope) -> dict[str, Any]:
    for item in event.answers:
        connection.execute(
            update(rejection_items)
            .where(
                rejection_items.c.report_id == event.report_id,
                rejection_items.c.rejection_number == event.rejection_number,
                rejection_items.c.intervention_id == item.intervention_id,
            )
            .values(answer=item.answer, answered_at=envelope.occurred_at, answered_by=envelope.actor)
        )
    return {}


def _locked(_connection: Connection, _event: DomainEvent, envelope: EventEnvelope) -> dict[str, Any]:
    return {"state": "locked", "locked_at": envelope.occurred_at, "locked_by": envelope.actor}


def _unlocked(_connection: Connection, event: ev.ReportUnlocked, envelope: EventEnvelope) -> dict[str, Any]:
    return {
        "state": "accepted",
        "unlocked_at": envelope.occurred_at,
        "unlocked_by": envelope.actor,
        "unlock_reason": event.reason,
    }


def _calendar(connection: Connection, event: DomainEvent, envelope: EventEnvelope) -> None:
    assert isinstance(event, FiscalYearCalendarSet)
    connection.execute(delete(fiscal_calendars).where(fiscal_calendars.c.fiscal_year == event.fiscal_year))
    connection.execute(
        insert(fiscal_calendars).values(
            fiscal_year=event.fiscal_year,
            calendar=event.calendar.model_dump(mode="json"),
            set_at=envelope.occurred_at,
            set_by=envelope.actor,
        )
    )


_APPLY: dict[str, Apply] = {
    ev.ReportVerified.event_type: _verified,
    ev.ReportSubmitted.event_type: _submitted,
    ev.ReportTakenUnderControl.event_type: _taken,
    ev.ReportAccepted.event_type: _accepted,
    ev.ReportRejected.event_type: _rejected,
    ev.RejectionAnswered.event_type: _answered,
    ev.ReportLocked.event_type: _locked,
    ev.ReportUnlocked.event_type: _unlocked,
}
