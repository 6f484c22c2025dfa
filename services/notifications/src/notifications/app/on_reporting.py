"""Notices caused by reporting's events."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection

from gsi_contracts import reporting
from gsi_kernel.consumer import Handler
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.http.context import context_caused_by
from gsi_kernel.writer import StreamWriter
from notifications.domain import notice

CONSUMER = "notifications.reporting"


def handlers(writer: StreamWriter) -> Mapping[str, Handler]:
    def on_report_submitted(connection: Connection, event: EventEnvelope) -> None:
        submitted = reporting.ReportSubmitted.model_validate(event.payload)
        command = notice.RecordNotice(
            dedupe_key=f"{submitted.organization_id}:{submitted.quarter}:report_submitted:v{submitted.submission_version}",
            organization_id=submitted.organization_id,
            audience=notice.Audience.MINISTRY,
            kind="report_submitted",
            quarter=submitted.quarter,
            title_fr=f"Rapport {submitted.quarter} soumis par {submitted.organization_id}",
            title_en=f"Report {submitted.quarter} submitted by {submitted.organization_id}",
        )
        writer.execute_in(
            connection,
            notice.notice_stream(command.dedupe_key),
            lambda history: notice.record(history, command),
            context_caused_by(event, CONSUMER),
        )

    return {reporting.ReportSubmitted.event_type: on_report_submitted}
