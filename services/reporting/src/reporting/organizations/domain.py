"""Partner organizations (*organismes partenaires*): the registry the ministry keeps — name,
regions served, contacts with the language they read — and the ministry reviewers assigned to
each. One stream per organization, ``organization-{id}``: the assignments live on it too, so
"already assigned" and "not assigned" are decided on one consistent history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gsi_kernel.errors import Conflict, InvalidInput, NotFound
from gsi_kernel.events import DomainEvent
from reporting.organizations import description as description_module
from reporting.organizations import events

# The events and the description under this module's name too: callers import them from here (an
# assignment is a public name for mypy --strict, a plain import is not).
Contact = events.Contact
EVENTS = events.EVENTS
OrganizationRegistered = events.OrganizationRegistered
OrganizationUpdated = events.OrganizationUpdated
ReviewerAssigned = events.ReviewerAssigned
ReviewerUnassigned = events.ReviewerUnassigned
Description = description_module.Description
REGIONS = description_module.REGIONS
LANGUAGES = description_module.LANGUAGES
check_id = description_module.check_id
normalized = description_module.normalized


@dataclass(frozen=True, slots=True)
class Organization:
    organization_id: str
    description: Description
    reviewers: frozenset[str] = frozenset()


def stream_id(organization_id: str) -> str:
    return f"organization-{organization_id}"


def fold(history: Sequence[DomainEvent]) -> Organization | None:
    state: Organization | None = None
    for event in history:
        if isinstance(event, OrganizationRegistered | OrganizationUpdated):
            described = Description(event.name, event.regions, event.contacts)
            reviewers = state.reviewers if state else frozenset()
            state = Organization(event.organization_id, described, reviewers)
        elif state is not None and isinstance(event, ReviewerAssigned):
            state = Organization(
                state.organization_id, state.description, state.reviewers | {event.reviewer_id}
            )
        elif state is not None and isinstance(event, ReviewerUnassigned):
            state = Organization(
                state.organization_id, state.description, state.reviewers - {event.reviewer_id}
            )
    return state


def register(
    history: Sequence[DomainEvent], *, organization_id: str, description: Description
) -> list[DomainEvent]:
    if fold(history) is not None:
        raise Conflict(
            "organization.exists",
            f"L'organisme « {organization_id} » existe déjà.",
            f"Organization “{organization_id}” already exists.",
            details={"organization_id": organization_id},
        )
    check_id(organization_id)
    described = normalized(description)
    return [
        OrganizationRegistered(
            organization_id=organization_id,
            name=described.name,
            regions=described.regions,
            contacts=described.contacts,
        )
    ]


def update(
    history: Sequence[DomainEvent],
    *,
    name: str | None = None,
    regions: Sequence[str] | None = None,
    contacts: Sequence[Contact] | None = None,
    reason: str,
) -> list[DomainEvent]:
    """Change what is given, keep the rest; no event when nothing changes (a retried request)."""
    state = existing(history)
    reason = description_module.reason_given(reason)
    current = state.description
    described = normalized(
        Description(
            current.name if name is None else name,
            current.regions if regions is None else tuple(regions),
            current.contacts if contacts is None else tuple(contacts),
        )
    )
    if described == current:
        return []
    return [
        OrganizationUpdated(
            organization_id=state.organization_id,
            name=described.name,
            regions=described.regions,
            contacts=described.contacts,
            reason=reason,
        )
    ]


def assign_reviewer(history: Sequence[DomainEvent], *, reviewer_id: str) -> list[DomainEvent]:
    """Assign a ministry reviewer; assigning one already assigned records nothing."""
    state = existing(history)
    reviewer_id = reviewer_id.strip()
    if not reviewer_id or len(reviewer_id) > 200:
        raise InvalidInput(
            "reviewer.invalid_id",
            "Identifiant de conseillère ou conseiller invalide (1 à 200 caractères).",
            "Invalid reviewer id (1 to 200 characters).",
            details={"field": "reviewer_id"},
        )
    if reviewer_id in state.reviewers:
        return []
    return [ReviewerAssigned(organization_id=state.organization_id, reviewer_id=reviewer_id)]


def unassign_reviewer(
    history: Sequence[DomainEvent], *, reviewer_id: str, reason: str | None = None
) -> list[DomainEvent]:
    state = existing(history)
    if reviewer_id not in state.reviewers:
        raise NotFound(
            "reviewer.not_assigned",
            f"« {reviewer_id} » n'est pas assigné·e à l'organisme {state.organization_id}.",
            f"“{reviewer_id}” is not assigned to organization {state.organization_id}.",
            details={"organization_id": state.organization_id, "reviewer_id": reviewer_id},
        )
    return [ReviewerUnassigned(organization_id=state.organization_id, reviewer_id=reviewer_id, reason=reason)]


def existing(history: Sequence[DomainEvent]) -> Organization:
    state = fold(history)
    if state is None:
        raise organization_not_found()
    return state


def organization_not_found(organization_id: str | None = None) -> NotFound:
    return NotFound(
        "organization.not_found",
        "Organisme introuvable.",
        "Organization not found.",
        details={"organization_id": organization_id} if organization_id else None,
    )
