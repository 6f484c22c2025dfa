"""Who a notice goes to, resolved from what notifications knows when the notice is recorded:
the organization's contacts (with their language), or the reviewers assigned to it, through the
ministry's contact directory."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import Connection, select

from notifications.notices.values import Audience, Recipient
from notifications.workflow.tables import ministry_contacts, organizations, reviewer_assignments


def organization_name(connection: Connection, organization_id: str) -> str:
    name = connection.execute(
        select(organizations.c.name).where(organizations.c.organization_id == organization_id)
    ).scalar()
    return str(name) if name else organization_id


def recipients(connection: Connection, organization_id: str, audience: Audience) -> tuple[Recipient, ...]:
    if audience is Audience.ORGANIZATION:
        return _organization_contacts(connection, organization_id)
    return _reviewers(connection, organization_id)


def _organization_contacts(connection: Connection, organization_id: str) -> tuple[Recipient, ...]:
    contacts = connection.execute(
        select(organizations.c.contacts).where(organizations.c.organization_id == organization_id)
    ).scalar()
    return tuple(
        Recipient(
            email=c.get("email") or None,
            name=c.get("name"),
            language="en" if c.get("language") == "en" else "fr",
        )
        for c in contacts or []
    )


def _reviewers(connection: Connection, organization_id: str) -> tuple[Recipient, ...]:
    rows = connection.execute(
        select(reviewer_assignments.c.reviewer_id, ministry_contacts)
        .select_from(
            reviewer_assignments.outerjoin(
                ministry_contacts, ministry_contacts.c.user_id == reviewer_assignments.c.reviewer_id
            )
        )
        .where(reviewer_assignments.c.organization_id == organization_id)
        .order_by(reviewer_assignments.c.reviewer_id)
    ).mappings()
    found = []
    for row in rows:
        user_id = row["reviewer_id"]
        if row["email"]:
            language = "en" if row["language"] == "en" else "fr"
            found.append(Recipient(email=row["email"], name=row["name"], user_id=user_id, language=language))
        else:
            # No directory entry: a user id that is an e-mail address is one; otherwise the notice
            # reaches the reviewer's inbox only, and the delivery log says why no e-mail went.
            found.append(Recipient(email=_as_address(user_id), user_id=user_id))
    return tuple(found)


def _as_address(user_id: str) -> str | None:
    try:
        return validate_email(user_id, check_deliverability=False).normalized
    except EmailNotValidError:
        return None
