"""What interventions publishes for the other services (``gsi.interventions``): each domain
event of its store mapped to its published contract — notes never leave the service."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gsi_contracts import interventions as contract
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.events import DomainEvent
from gsi_kernel.store.outbox import Publication
from gsi_kernel.writer import integration_event
from interventions.catalogue import domain as catalogue
from interventions.declarations import domain as intervention
from interventions.event_registry import EVENTS
from interventions.imports import domain as imports
from interventions.lock_exceptions import domain as lock_exception


def _fields(details: intervention.Details) -> dict[str, Any]:
    return {
        "code": details.code,
        "service_date": details.service_date,
        "volet": details.volet.value,
        "duration_minutes": details.duration_minutes,
        "mode": details.mode.value,
        "staff_member": details.staff_member,
        "target_organization": details.target_organization,
        "referral_reason": details.referral_reason,
    }


def _declared(e: intervention.InterventionDeclared, envelope: EventEnvelope) -> DomainEvent:
    return contract.InterventionDeclared(
        intervention_id=e.intervention_id,
        person_id=e.person_id,
        organization_id=e.organization_id,
        session_id=e.session_id,
        version=envelope.stream_version,
        **_fields(e.details),
    )


def _corrected(e: intervention.InterventionCorrected, envelope: EventEnvelope) -> DomainEvent:
    return contract.InterventionCorrected(
        intervention_id=e.intervention_id,
        person_id=e.person_id,
        organization_id=e.organization_id,
        version=envelope.stream_version,
        reason=e.reason,
        **_fields(e.details),
    )


def _cancelled(e: intervention.InterventionCancelled, envelope: EventEnvelope) -> DomainEvent:
    return contract.InterventionCancelled(
        intervention_id=e.intervention_id,
        person_id=e.person_id,
        organization_id=e.organization_id,
        service_date=e.service_date,
        reason=e.reason,
        version=envelope.stream_version,
    )


def _requested(e: lock_exception.LockExceptionRequested, _envelope: EventEnvelope) -> DomainEvent:
    return contract.LockExceptionRequested(
        exception_id=e.exception_id,
        organization_id=e.organization_id,
        quarter=e.quarter,
        reason=e.reason,
        intervention_count=len(e.intervention_ids),
    )


def _granted(e: lock_exception.LockExceptionGranted, _envelope: EventEnvelope) -> DomainEvent:
    return contract.LockExceptionGranted(
        exception_id=e.exception_id,
        organization_id=e.organization_id,
        quarter=e.quarter,
        valid_until=e.valid_until,
    )


def _refused(e: lock_exception.LockExceptionRefused, _envelope: EventEnvelope) -> DomainEvent:
    return contract.LockExceptionRefused(
        exception_id=e.exception_id, organization_id=e.organization_id, quarter=e.quarter, reason=e.reason
    )


def _catalogue(e: catalogue.CataloguePublished, _envelope: EventEnvelope) -> DomainEvent:
    return contract.CataloguePublished(
        program=e.program, version=e.version, effective_from=e.effective_from, document=e.document
    )


def _import_finished(e: imports.ImportCompleted, _envelope: EventEnvelope) -> DomainEvent:
    return contract.ImportFinished(
        import_id=e.import_id,
        organization_id=e.organization_id,
        file_name=e.file_name,
        created=e.created,
        unchanged=e.unchanged,
        rejected=e.rejected,
    )


_MAPPERS: dict[str, Callable[[Any, EventEnvelope], DomainEvent]] = {
    intervention.InterventionDeclared.event_type: _declared,
    intervention.InterventionCorrected.event_type: _corrected,
    intervention.InterventionCancelled.event_type: _cancelled,
    lock_exception.LockExceptionRequested.event_type: _requested,
    lock_exception.LockExceptionGranted.event_type: _granted,
    lock_exception.LockExceptionRefused.event_type: _refused,
    catalogue.CataloguePublished.event_type: _catalogue,
    imports.ImportCompleted.event_type: _import_finished,
}


def publish(event: EventEnvelope) -> Sequence[Publication]:
    mapper = _MAPPERS.get(event.type)
    if mapper is None:
        return []
    decoded = EVENTS.decode(event.type, event.schema_version, event.payload)
    return [integration_event(event, contract.TOPIC, mapper(decoded, event))]
