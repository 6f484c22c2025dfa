"""What reporting publishes for the other services."""

from __future__ import annotations

from collections.abc import Sequence

from gsi_contracts import reporting as contract
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.store.outbox import Publication
from gsi_kernel.writer import integration_event
from reporting.domain.report import EVENTS, ReportSubmitted


def publish(event: EventEnvelope) -> Sequence[Publication]:
    decoded = EVENTS.decode(event.type, event.schema_version, event.payload)
    if isinstance(decoded, ReportSubmitted):
        return [integration_event(event, contract.TOPIC, contract.ReportSubmitted(**decoded.model_dump()))]
    return []
