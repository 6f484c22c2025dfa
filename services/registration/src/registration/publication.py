"""What registration publishes for the other services: pseudonymous facts and the file number
only — no name, no contact, no UCI (Loi 25, art. 64: only what is necessary)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gsi_contracts import registration as contract
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.events import DomainEvent
from gsi_kernel.store.outbox import Publication
from gsi_kernel.writer import integration_event
from registration.event_registry import EVENTS
from registration.persons import events as ev
from registration.rule_sets.events import RuleSetPublished


def _registered(e: ev.PersonRegistered, _env: EventEnvelope) -> DomainEvent:
    return contract.PersonRegistered(
        person_id=e.person_id,
        organization_id=e.organization_id,
        birth_date=e.birth_date,
        status=e.status.status,
        status_since=e.status.effective_from,
        region=e.region,
        admission_date=e.status.admission_date,
        status_expires_on=e.status.expires_on,
        file_number=e.file_number,
    )


def _numbered(e: ev.FileNumberAssigned, env: EventEnvelope) -> DomainEvent:
    return contract.PersonFileNumberAssigned(
        person_id=_person_id(env), organization_id=env.organization or "", file_number=e.file_number
    )


def _status(e: ev.StatusChanged, env: EventEnvelope) -> DomainEvent:
    return contract.PersonStatusChanged(
        person_id=_person_id(env),
        organization_id=env.organization or "",
        status=e.period.status,
        effective_from=e.period.effective_from,
        admission_date=e.period.admission_date,
        expires_on=e.period.expires_on,
    )


def _region(e: ev.AddressChanged, env: EventEnvelope) -> DomainEvent:
    return contract.PersonRegionChanged(
        person_id=_person_id(env),
        organization_id=env.organization or "",
        region=e.region,
        effective_from=e.effective_from,
    )


def _merged(e: ev.PersonMerged, env: EventEnvelope) -> DomainEvent:
    return contract.PersonsMerged(person_id=_person_id(env), into_person_id=e.into_person_id)


def _erased(_e: ev.PersonErased, env: EventEnvelope) -> DomainEvent:
    return contract.PersonErased(person_id=_person_id(env))


def _rules(e: RuleSetPublished, _env: EventEnvelope) -> DomainEvent:
    return contract.RuleSetPublished(
        program=e.program, version=e.version, effective_from=e.effective_from, document=e.document
    )


_MAPPINGS: dict[type[DomainEvent], Callable[[Any, EventEnvelope], DomainEvent]] = {
    ev.PersonRegistered: _registered,
    ev.FileNumberAssigned: _numbered,
    ev.StatusChanged: _status,
    ev.AddressChanged: _region,
    ev.PersonMerged: _merged,
    ev.PersonErased: _erased,
    RuleSetPublished: _rules,
}


_PUBLISHED_TYPES = frozenset(cls.event_type for cls in _MAPPINGS)


def publish(event: EventEnvelope) -> Sequence[Publication]:
    if event.type not in _PUBLISHED_TYPES:
        return []  # most events stay inside the service: no need to decode them
    decoded = EVENTS.decode(event.type, event.schema_version, event.payload)
    return [integration_event(event, contract.TOPIC, _MAPPINGS[type(decoded)](decoded, event))]


def _person_id(env: EventEnvelope) -> str:
    return env.stream_id.removeprefix("person-")
