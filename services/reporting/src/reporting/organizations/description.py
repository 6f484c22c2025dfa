"""What the ministry says of an organization — name, regions served, contacts with the language
they read — checked, trimmed and put in a canonical order, or refused with a code."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from gsi_kernel.errors import InvalidInput
from reporting.organizations.events import Contact

REGIONS = frozenset(f"{n:02d}" for n in range(1, 18))  # Québec's 17 administrative regions
LANGUAGES = ("fr", "en")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Deliberately loose (one @, a dot in the domain, no spaces): deliverability is the mail
# server's business; this catches typing slips before notices go nowhere.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


@dataclass(frozen=True, slots=True)
class Description:
    """What the ministry says of an organization (a command's input, and part of the state)."""

    name: str
    regions: tuple[str, ...]
    contacts: tuple[Contact, ...]


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


def reason_given(reason: str) -> str:
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
