"""The reports read model, from this service's own store."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, update

from gsi_kernel.envelope import EventEnvelope
from reporting.domain.report import EVENTS, ReportState, ReportSubmitted
from reporting.projections.tables import reports


class ReportsProjection:
    name = "reporting.reports"

    def apply(self, connection: Connection, event: EventEnvelope) -> None:
        decoded = EVENTS.decode(event.type, event.schema_version, event.payload)
        if not isinstance(decoded, ReportSubmitted):
            return
        values = {
            "state": ReportState.SUBMITTED,
            "submission_version": decoded.submission_version,
            "updated_at": event.occurred_at,
            "updated_by": event.actor,
        }
        if event.stream_version == 1:
            connection.execute(
                insert(reports).values(
                    report_id=decoded.report_id,
                    organization_id=decoded.organization_id,
                    quarter=decoded.quarter,
                    **values,
                )
            )
        else:
            connection.execute(
                update(reports).where(reports.c.report_id == decoded.report_id).values(**values)
            )

    def reset(self, connection: Connection) -> None:
        connection.execute(delete(reports))
