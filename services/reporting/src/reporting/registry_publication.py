"""What the registry publishes for the other services: organizations with their contacts
(notifications writes to them), reviewer assignments (notifications and the control queue), and
each agreement's volets and period (interventions checks declarations against them) — again at
every amendment, so the consumer's copy follows the current terms."""

from __future__ import annotations

from collections.abc import Sequence

from gsi_contracts import reporting as contract
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.events import DomainEvent
from gsi_kernel.store.outbox import Publication
from gsi_kernel.writer import integration_event
from reporting.agreements import domain as agreement
from reporting.agreements.domain import AgreementAmended, AgreementRecorded
from reporting.event_registry import EVENTS
from reporting.organizations import domain as organization
from reporting.organizations.domain import (
    OrganizationRegistered,
    OrganizationUpdated,
    ReviewerAssigned,
    ReviewerUnassigned,
)

# Decoded through the service's registry (its upcasters), only this module's own types.
_MINE = frozenset(c.event_type for c in (*organization.EVENTS, *agreement.EVENTS))


def publish_registry(event: EventEnvelope) -> Sequence[Publication]:
    if event.type not in _MINE:
        return []
    published = _contract(EVENTS.decode(event.type, event.schema_version, event.payload))
    return [] if published is None else [integration_event(event, contract.TOPIC, published)]


def _contract(event: DomainEvent) -> DomainEvent | None:
    if isinstance(event, OrganizationRegistered):
        return contract.OrganizationRegistered(
            organization_id=event.organization_id,
            name=event.name,
            regions=event.regions,
            contacts=tuple(contract.OrganizationContact(**c.model_dump()) for c in event.contacts),
        )
    if isinstance(event, OrganizationUpdated):
        return contract.OrganizationUpdated(
            organization_id=event.organization_id,
            name=event.name,
            regions=event.regions,
            contacts=tuple(contract.OrganizationContact(**c.model_dump()) for c in event.contacts),
            reason=event.reason,
        )
    if isinstance(event, ReviewerAssigned):
        return contract.ReviewerAssigned(organization_id=event.organization_id, reviewer_id=event.reviewer_id)
    if isinstance(event, ReviewerUnassigned):
        return contract.ReviewerUnassigned(
            organization_id=event.organization_id, reviewer_id=event.reviewer_id
        )
    if isinstance(event, AgreementRecorded | AgreementAmended):
        return _agreement_recorded(event)
    return None


def _agreement_recorded(event: AgreementRecorded | AgreementAmended) -> contract.AgreementRecorded:
    return contract.AgreementRecorded(
        agreement_id=event.agreement_id,
        organization_id=event.organization_id,
        program=event.program,
        volets=event.volets,
        starts_on=event.starts_on,
        ends_on=event.ends_on,
    )
