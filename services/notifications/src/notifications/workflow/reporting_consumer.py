"""Reporting's events: kept in the workflow tables the reminders are decided from, and turned
into notices — submitted (to the reviewers), accepted, rejected with its reasons and failed
checks, locked (to the organization), unlocked (to the organization and its reviewers).

A notice's key names what it is about (organization, quarter, kind, submission version or the
causing event), so a redelivered event records nothing new."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from gsi_contracts import reporting
from gsi_kernel.clock import montreal_date
from gsi_kernel.consumer import Handler
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.http.context import context_caused_by
from gsi_kernel.runtime import ConsumerSpec
from gsi_kernel.writer import StreamWriter
from gsi_readmodels.reviewers import ReviewerFollower
from notifications.notices.app import prepare, record_in
from notifications.notices.values import Audience, NoticeKind
from notifications.workflow import tables as workflow

CONSUMER = "notifications.reporting"


def consumer(writer: StreamWriter) -> ConsumerSpec:
    """Reporting's topic, its notices recorded with ``writer`` in the consumer's transaction."""

    def notify(
        connection: Connection,
        event: EventEnvelope,
        key: str,
        kind: NoticeKind,
        audience: Audience,
        organization_id: str,
        quarter: str,
        **data: Any,
    ) -> None:
        command = prepare(
            connection,
            dedupe_key=key,
            kind=kind,
            organization_id=organization_id,
            audience=audience,
            quarter=quarter,
            data=data,
        )
        record_in(writer, connection, command, context_caused_by(event, CONSUMER))

    def on_submitted(connection: Connection, event: EventEnvelope) -> None:
        e = reporting.ReportSubmitted.model_validate(event.payload)
        workflow.keep_report(
            connection,
            e.organization_id,
            e.quarter,
            state="submitted",
            submission_version=e.submission_version,
            submitted_on=montreal_date(event.occurred_at),
            control_due=e.control_due,
        )
        notify(
            connection, event, f"{e.organization_id}:{e.quarter}:report_submitted:v{e.submission_version}",
            NoticeKind.REPORT_SUBMITTED, Audience.MINISTRY, e.organization_id, e.quarter,
            submission_version=e.submission_version, interventions_count=e.interventions_count,
            persons_count=e.persons_count, errors=e.errors, warnings=e.warnings, late=e.late,
            control_due=e.control_due.isoformat() if e.control_due else None,
        )  # fmt: skip

    def on_under_control(connection: Connection, event: EventEnvelope) -> None:
        e = reporting.ReportUnderControl.model_validate(event.payload)
        workflow.keep_report(connection, e.organization_id, e.quarter, state="under_control")

    def on_accepted(connection: Connection, event: EventEnvelope) -> None:
        e = reporting.ReportAccepted.model_validate(event.payload)
        workflow.keep_report(connection, e.organization_id, e.quarter, state="accepted")
        notify(
            connection, event, f"{e.organization_id}:{e.quarter}:report_accepted:v{e.submission_version}",
            NoticeKind.REPORT_ACCEPTED, Audience.ORGANIZATION, e.organization_id, e.quarter,
            submission_version=e.submission_version, override_reason=e.override_reason,
        )  # fmt: skip

    def on_rejected(connection: Connection, event: EventEnvelope) -> None:
        e = reporting.ReportRejected.model_validate(event.payload)
        workflow.keep_report(
            connection, e.organization_id, e.quarter, state="rejected",
            rejection_number=e.rejection_number, resubmission_due=e.resubmission_due,
        )  # fmt: skip
        notify(
            connection, event, f"{e.organization_id}:{e.quarter}:report_rejected:v{e.submission_version}",
            NoticeKind.REPORT_REJECTED, Audience.ORGANIZATION, e.organization_id, e.quarter,
            submission_version=e.submission_version, rejection_number=e.rejection_number,
            reason=e.reason, items=[i.model_dump(mode="json") for i in e.items],
            failed_checks=[c.model_dump(mode="json") for c in e.failed_checks],
            resubmission_due=e.resubmission_due.isoformat(),
        )  # fmt: skip

    def on_locked(connection: Connection, event: EventEnvelope) -> None:
        e = reporting.QuarterLocked.model_validate(event.payload)
        workflow.keep_report(connection, e.organization_id, e.quarter, state="locked")
        notify(
            connection, event, f"{e.organization_id}:{e.quarter}:quarter_locked:{event.event_id}",
            NoticeKind.QUARTER_LOCKED, Audience.ORGANIZATION, e.organization_id, e.quarter,
        )  # fmt: skip

    def on_unlocked(connection: Connection, event: EventEnvelope) -> None:
        """To the organization, whose quarter is open to corrections again, and to its reviewers,
        whose accepted report may now change."""
        e = reporting.QuarterUnlocked.model_validate(event.payload)
        workflow.keep_report(connection, e.organization_id, e.quarter, state="accepted")
        key = f"{e.organization_id}:{e.quarter}:quarter_unlocked:{event.event_id}"
        for audience, suffix in ((Audience.ORGANIZATION, ""), (Audience.MINISTRY, ":ministry")):
            notify(
                connection, event, key + suffix, NoticeKind.QUARTER_UNLOCKED, audience, e.organization_id,
                e.quarter, reason=e.reason,
            )  # fmt: skip

    handlers = {
        reporting.ReportSubmitted.event_type: on_submitted,
        reporting.ReportUnderControl.event_type: on_under_control,
        reporting.ReportAccepted.event_type: on_accepted,
        reporting.ReportRejected.event_type: on_rejected,
        reporting.QuarterLocked.event_type: on_locked,
        reporting.QuarterUnlocked.event_type: on_unlocked,
        **_registry_handlers(),
    }
    return ConsumerSpec(CONSUMER, [reporting.TOPIC], handlers)


def _registry_handlers() -> dict[str, Handler]:
    """Organizations, reviewers, agreements and the calendar: kept, no notice."""

    def keep(model: type[Any], apply: Callable[[Connection, Any], None]) -> Handler:
        def handle(connection: Connection, event: EventEnvelope) -> None:
            apply(connection, model.model_validate(event.payload))

        return handle

    return {
        reporting.OrganizationRegistered.event_type: keep(
            reporting.OrganizationRegistered, workflow.keep_organization
        ),
        reporting.OrganizationUpdated.event_type: keep(
            reporting.OrganizationUpdated, workflow.keep_organization
        ),
        **ReviewerFollower(workflow.reviewer_assignments).handlers,
        reporting.AgreementRecorded.event_type: keep(reporting.AgreementRecorded, workflow.keep_agreement),
        reporting.FiscalYearCalendarSet.event_type: keep(
            reporting.FiscalYearCalendarSet, workflow.keep_calendar
        ),
    }
