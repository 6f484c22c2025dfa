"""What the report workflow publishes for the other services (``gsi.reporting``): submissions,
control and decisions (notifications), locks and unlocks (interventions refuses writes in a
locked quarter), fiscal-year calendars (reminders). Verifications and answers stay here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gsi_contracts import reporting as contract
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.events import DomainEvent
from gsi_kernel.store.outbox import Publication
from gsi_kernel.writer import integration_event
from reporting.calendar.domain import FiscalYearCalendarSet
from reporting.event_registry import EVENTS
from reporting.reports import events as ev


def _key(e: ev.ReportEvent) -> dict[str, str]:
    return {"report_id": e.report_id, "organization_id": e.organization_id, "quarter": e.quarter}


def _submitted(payload: dict[str, Any]) -> DomainEvent:
    """From the stored payload as is: decoding the snapshot (20,000 items) is not needed here."""
    fields = ("report_id", "organization_id", "quarter", "submission_version", "interventions_count")
    return contract.ReportSubmitted.model_validate(
        {
            **{name: payload[name] for name in (*fields, "persons_count", "late", "control_due")},
            "errors": payload["summary"]["errors"],
            "warnings": payload["summary"]["warnings"],
        }
    )


def _taken(e: ev.ReportTakenUnderControl) -> DomainEvent:
    return contract.ReportUnderControl(**_key(e), submission_version=e.submission_version)


def _accepted(e: ev.ReportAccepted) -> DomainEvent:
    return contract.ReportAccepted(
        **_key(e), submission_version=e.submission_version, override_reason=e.override_reason
    )


def _rejected(e: ev.ReportRejected) -> DomainEvent:
    return contract.ReportRejected(
        **_key(e),
        submission_version=e.submission_version,
        rejection_number=e.rejection_number,
        reason=e.reason,
        items=tuple(contract.RejectedIntervention(**i.model_dump()) for i in e.items),
        failed_checks=tuple(contract.FailedCheck(**c.model_dump()) for c in e.failed_checks),
        resubmission_due=e.resubmission_due,
    )


def _locked(e: ev.ReportLocked) -> DomainEvent:
    return contract.QuarterLocked(organization_id=e.organization_id, quarter=e.quarter, report_id=e.report_id)


def _unlocked(e: ev.ReportUnlocked) -> DomainEvent:
    return contract.QuarterUnlocked(
        organization_id=e.organization_id, quarter=e.quarter, report_id=e.report_id, reason=e.reason
    )


def _calendar(e: FiscalYearCalendarSet) -> DomainEvent:
    c = e.calendar
    return contract.FiscalYearCalendarSet(
        fiscal_year=e.fiscal_year,
        deadlines=tuple(
            contract.SubmissionDeadline(quarter=d.quarter, submission_due=d.submission_due)
            for d in c.quarters
        ),
        control_window_days=c.control_window_days,
        resubmission_business_days=c.resubmission_business_days,
    )


_MAPPERS: dict[str, Callable[[Any], DomainEvent]] = {
    ev.ReportTakenUnderControl.event_type: _taken,
    ev.ReportAccepted.event_type: _accepted,
    ev.ReportRejected.event_type: _rejected,
    ev.ReportLocked.event_type: _locked,
    ev.ReportUnlocked.event_type: _unlocked,
    FiscalYearCalendarSet.event_type: _calendar,
}


def publish(event: EventEnvelope) -> Sequence[Publication]:
    if event.type == ev.ReportSubmitted.event_type:
        return [integration_event(event, contract.TOPIC, _submitted(event.payload))]
    mapper = _MAPPERS.get(event.type)
    if mapper is None:
        return []
    decoded = EVENTS.decode(event.type, event.schema_version, event.payload)
    return [integration_event(event, contract.TOPIC, mapper(decoded))]
