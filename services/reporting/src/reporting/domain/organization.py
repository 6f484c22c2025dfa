"""Partner organizations (*organismes partenaires*): the registry the ministry keeps — name,
regions served, contacts with the language they read — and the ministry reviewers assigned to
each. One stream per organization, ``organization-{id}``: the assignments live on it too, so
"already assigned" and "not assigned" are decided on one consistent history."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from gsi_kernel.errors import Conflict, InvalidInput, NotFound
from gsi_kernel.events import DomainEvent

REGIONS = frozenset(f"{n:02d}" for n in range(1, 18))  # Québec's 17 administrative regions
LANGUAGES = ("fr", "en")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Deliberately loose (one @, a dot in the domain, no spaces): deliverability is the mail
# server's business; this catches typing slips before notices go nowhere.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


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


@dataclass(frozen=True, slots=True)
class Description:
    """What the ministry says of an organization (a command's input, and part of the state)."""

    name: str
    regions: tuple[str, ...]
    contacts: tuple[Contact, ...]


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
    reason = _reason(reason)
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


def check_id(organization_id: str) -> None:
    if not (3 <= len(organization_id) <= 100 and _SLUG.fullmatch(organization_id)):
        raise InvalidInput(
            "organization.invalid_id",
            f"Identifiant d'organisme invalide « {organization_id} » : minuscules, chiffres et "
            "traits d'union, 3 à 100 caractères (p. ex. org-sherbrooke).",
            f"Invalid organization id “{organization_id}”: lower-case letters, digits and hyphens, "
            "3 to 100 characters (e.g. org-sherbrooke).",
            details={"field": "organization_id"},
        )


def normalized(description: Description) -> Description:
    """The description checked, trimmed, regions sorted and deduplicated — or a coded error."""
    name = description.name.strip()
    if not name or len(name) > 200:
        raise _invalid(
            "organization.invalid_name",
            "Nom obligatoire (200 caractères au plus).",
            "A name is required (200 characters at most).",
            field="name",
        )
    return Description(name, _regions(description.regions), _contacts(description.contacts))


def _regions(regions: Sequence[str]) -> tuple[str, ...]:
    if not regions:
        raise _invalid(
            "organization.no_region",
            "Au moins une région desservie.",
            "At least one region served.",
            field="regions",
        )
    for region in regions:
        if region not in REGIONS:
            raise _invalid(
                "organization.invalid_region",
                f"Région inconnue « {region} » (codes 01 à 17).",
                f"Unknown region “{region}” (codes 01 to 17).",
                field="regions",
                region=region,
            )
    return tuple(sorted(set(regions)))


def _contacts(contacts: Sequence[Contact]) -> tuple[Contact, ...]:
    seen: set[str] = set()
    result = []
    for index, contact in enumerate(contacts):
        clean = Contact(
            name=contact.name.strip(),
            email=contact.email.strip(),
            role=contact.role.strip(),
            language=contact.language,
        )
        _check_contact(clean, index)
        if clean.email.lower() in seen:
            raise _invalid(
                "organization.duplicate_contact",
                f"Courriel en double : {clean.email}.",
                f"Duplicate e-mail: {clean.email}.",
                field="contacts",
                index=index,
            )
        seen.add(clean.email.lower())
        result.append(clean)
    return tuple(result)


def _check_contact(contact: Contact, index: int) -> None:
    if not contact.name or len(contact.name) > 200 or not contact.role or len(contact.role) > 100:
        raise _invalid(
            "organization.invalid_contact",
            "Chaque contact a un nom et un rôle.",
            "Each contact has a name and a role.",
            field="contacts",
            index=index,
        )
    if len(contact.email) > 254 or not _EMAIL.fullmatch(contact.email):
        raise _invalid(
            "organization.invalid_email",
            f"Courriel invalide : « {contact.email} ».",
            f"Invalid e-mail: “{contact.email}”.",
            field="contacts",
            index=index,
        )
    if contact.language not in LANGUAGES:
        raise _invalid(
            "organization.invalid_language",
            f"Langue inconnue « {contact.language} » (fr ou en).",
            f"Unknown language “{contact.language}” (fr or en).",
            field="contacts",
            index=index,
        )


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise _invalid(
            "organization.reason_required",
            "Le motif de la modification est obligatoire.",
            "The reason for the change is required.",
            field="reason",
        )
    return reason


def _invalid(code: str, fr: str, en: str, /, *, field: str, **details: object) -> InvalidInput:
    return InvalidInput(code, fr, en, details={"field": field, **details})
