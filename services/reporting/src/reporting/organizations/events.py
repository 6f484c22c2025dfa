"""The organization stream's events and the contact they carry (the decisions:
:mod:`reporting.organizations.domain`). The event type names and payloads are stored: change them
only with an upcaster."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from gsi_kernel.events import DomainEvent


class Contact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    email: str
    role: str
    language: str = "fr"


class OrganizationRegistered(DomainEvent):
    event_type = "OrganizationRegistered"

    organization_id: str
    name: str
    regions: tuple[str, ...]
    contacts: tuple[Contact, ...] = ()


class OrganizationUpdated(DomainEvent):
    """The organization's full new description, with the reason of the change."""

    event_type = "OrganizationUpdated"

    organization_id: str
    name: str
    regions: tuple[str, ...]
    contacts: tuple[Contact, ...]
    reason: str


class ReviewerAssigned(DomainEvent):
    event_type = "ReviewerAssigned"

    organization_id: str
    reviewer_id: str


class ReviewerUnassigned(DomainEvent):
    event_type = "ReviewerUnassigned"

    organization_id: str
    reviewer_id: str
    reason: str | None = None


EVENTS = (OrganizationRegistered, OrganizationUpdated, ReviewerAssigned, ReviewerUnassigned)
