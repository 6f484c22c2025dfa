"""Interventions' events: regionalization checkpoints kept for their reminders; lock exceptions
granted or refused and finished imports turned into notices to the organization."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from gsi_contracts import interventions
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.http.context import context_caused_by
from gsi_kernel.runtime import ConsumerSpec
from gsi_kernel.writer import StreamWriter
from notifications.notices.app import prepare, record_in
from notifications.notices.values import Audience, NoticeKind
from notifications.workflow import tables as workflow

CONSUMER = "notifications.interventions"


def consumer(writer: StreamWriter) -> ConsumerSpec:
    """Interventions' topic, its notices recorded with ``writer`` in the consumer's transaction."""

    def notify(
        connection: Connection, event: EventEnvelope, kind: NoticeKind, organization_id: str,
        quarter: str | None, **data: Any,
    ) -> None:  # fmt: skip
        command = prepare(
            connection,
            dedupe_key=f"{organization_id}:{kind}:{event.event_id}",
            kind=kind,
            organization_id=organization_id,
            audience=Audience.ORGANIZATION,
            quarter=quarter,
            data=data,
        )
        record_in(writer, connection, command, context_caused_by(event, CONSUMER))

    def on_follow_up(connection: Connection, event: EventEnvelope) -> None:
        workflow.keep_follow_up(
            connection, interventions.RegionalizationFollowUpOpened.model_validate(event.payload)
        )

    def on_checkpoint(connection: Connection, event: EventEnvelope) -> None:
        e = interventions.RegionalizationCheckpointRecorded.model_validate(event.payload)
        workflow.close_checkpoint(connection, e.follow_up_id, e.months)

    def on_granted(connection: Connection, event: EventEnvelope) -> None:
        e = interventions.LockExceptionGranted.model_validate(event.payload)
        notify(
            connection, event, NoticeKind.LOCK_EXCEPTION_GRANTED, e.organization_id, e.quarter,
            exception_id=e.exception_id, valid_until=e.valid_until.isoformat(),
        )  # fmt: skip

    def on_refused(connection: Connection, event: EventEnvelope) -> None:
        e = interventions.LockExceptionRefused.model_validate(event.payload)
        notify(
            connection, event, NoticeKind.LOCK_EXCEPTION_REFUSED, e.organization_id, e.quarter,
            exception_id=e.exception_id, reason=e.reason,
        )  # fmt: skip

    def on_import(connection: Connection, event: EventEnvelope) -> None:
        e = interventions.ImportFinished.model_validate(event.payload)
        notify(
            connection, event, NoticeKind.IMPORT_FINISHED, e.organization_id, None,
            import_id=e.import_id, file_name=e.file_name, created=e.created,
            unchanged=e.unchanged, rejected=e.rejected,
        )  # fmt: skip

    handlers = {
        interventions.RegionalizationFollowUpOpened.event_type: on_follow_up,
        interventions.RegionalizationCheckpointRecorded.event_type: on_checkpoint,
        interventions.LockExceptionGranted.event_type: on_granted,
        interventions.LockExceptionRefused.event_type: on_refused,
        interventions.ImportFinished.event_type: on_import,
    }
    return ConsumerSpec(CONSUMER, [interventions.TOPIC], handlers)
