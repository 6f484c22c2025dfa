"""Building the command context of a write, from an HTTP principal or from a consumed event."""

from __future__ import annotations

import uuid

from gsi_kernel.auth import Principal
from gsi_kernel.envelope import CommandContext, EventEnvelope
from gsi_kernel.telemetry import current_traceparent


def context_for(principal: Principal, organization: str | None = None) -> CommandContext:
    """The context of a command a user sends over HTTP (the active span becomes its trace)."""
    return CommandContext(
        actor=principal.user_id,
        organization=organization if organization is not None else principal.organization,
        correlation_id=str(uuid.uuid4()),
        causation_id=None,
        traceparent=current_traceparent(),
    )


def context_caused_by(event: EventEnvelope, consumer: str) -> CommandContext:
    """The context of a write a consumer makes because of ``event`` (same correlation)."""
    return CommandContext(
        actor=f"system:{consumer}",
        organization=event.organization,
        correlation_id=event.correlation_id,
        causation_id=event.event_id,
        traceparent=current_traceparent() or event.traceparent,
    )
