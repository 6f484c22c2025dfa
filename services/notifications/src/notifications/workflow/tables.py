"""What notifications knows of the other services' workflow, kept from their published events by
its consumers: organizations and their contacts, reviewer assignments, agreements, the calendar,
where each report stands, and open regionalization checkpoints. The reminders are decided from
these tables; the notices' recipients are resolved from them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    update,
)

from gsi_contracts import interventions, reporting
from gsi_kernel.store.backend import backend_of
from gsi_kernel.store.types import UtcDateTime
from gsi_readmodels.reviewers import reviewer_assignments_table

metadata = MetaData()

organizations = Table(
    "organizations",
    metadata,
    Column("organization_id", String(100), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("contacts", JSON, nullable=False),
)

# Whom the ministry notices go to, and which notices a reviewer reads (ADR 23).
reviewer_assignments = reviewer_assignments_table(metadata)

agreements = Table(
    "agreements",
    metadata,
    Column("agreement_id", String(100), primary_key=True),
    Column("organization_id", String(100), nullable=False, index=True),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
)

deadlines = Table(
    "deadlines",
    metadata,
    Column("quarter", String(12), primary_key=True),
    Column("submission_due", Date, nullable=False, index=True),
)

reports = Table(
    "reports",
    metadata,
    Column("organization_id", String(100), primary_key=True),
    Column("quarter", String(12), primary_key=True),
    Column("state", String(20), nullable=False),
    Column("submission_version", Integer, nullable=False),
    Column("submitted_on", Date),
    Column("control_due", Date),
    Column("rejection_number", Integer, nullable=False),
    Column("resubmission_due", Date),
)

follow_up_checkpoints = Table(
    "follow_up_checkpoints",
    metadata,
    Column("follow_up_id", String(100), primary_key=True),
    Column("months", Integer, primary_key=True),
    Column("organization_id", String(100), nullable=False),
    Column("person_id", String(100), nullable=False),
    Column("destination_region", String(2), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("recorded", Boolean, nullable=False),
    Index("ix_follow_up_checkpoints_open", "recorded", "due_on"),
)

ministry_contacts = Table(
    "ministry_contacts",
    metadata,
    Column("user_id", String(200), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("name", String(200)),
    Column("language", String(2), nullable=False),
)

scheduler_lease = Table(
    "scheduler_lease",
    metadata,
    Column("name", String(60), primary_key=True),
    Column("holder", String(100), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)


def _upsert(connection: Connection, table: Table, keys: list[str], values: dict[str, Any]) -> None:
    statement = backend_of(connection).insert(table).values(values)
    changed = {k: v for k, v in values.items() if k not in keys}
    connection.execute(
        statement.on_conflict_do_update(index_elements=keys, set_=changed)
        if changed
        else statement.on_conflict_do_nothing()
    )


def keep_organization(
    connection: Connection, event: reporting.OrganizationRegistered | reporting.OrganizationUpdated
) -> None:
    contacts = [c.model_dump(mode="json") for c in event.contacts]
    _upsert(
        connection,
        organizations,
        ["organization_id"],
        {"organization_id": event.organization_id, "name": event.name, "contacts": contacts},
    )


def keep_agreement(connection: Connection, event: reporting.AgreementRecorded) -> None:
    values = {
        "agreement_id": event.agreement_id,
        "organization_id": event.organization_id,
        "starts_on": event.starts_on,
        "ends_on": event.ends_on,
    }
    _upsert(connection, agreements, ["agreement_id"], values)


def keep_calendar(connection: Connection, event: reporting.FiscalYearCalendarSet) -> None:
    for deadline in event.deadlines:
        values = {"quarter": deadline.quarter, "submission_due": deadline.submission_due}
        _upsert(connection, deadlines, ["quarter"], values)


def keep_report(connection: Connection, organization_id: str, quarter: str, **values: Any) -> None:
    """Move a report to its new state; fields not given keep their value (or their default)."""
    key = {"organization_id": organization_id, "quarter": quarter}
    done = connection.execute(
        update(reports)
        .where(reports.c.organization_id == organization_id, reports.c.quarter == quarter)
        .values(**values)
    )
    if done.rowcount == 0:
        defaults: dict[str, Any] = {"submission_version": 0, "rejection_number": 0}
        _upsert(connection, reports, list(key), {**defaults, **key, **values})


def keep_follow_up(connection: Connection, event: interventions.RegionalizationFollowUpOpened) -> None:
    for checkpoint in event.checkpoints:
        values = {
            "follow_up_id": event.follow_up_id,
            "months": checkpoint.months,
            "organization_id": event.organization_id,
            "person_id": event.person_id,
            "destination_region": event.destination_region,
            "due_on": checkpoint.due_on,
            "recorded": False,
        }
        _upsert(connection, follow_up_checkpoints, ["follow_up_id", "months"], values)


def close_checkpoint(connection: Connection, follow_up_id: str, months: int) -> None:
    connection.execute(
        update(follow_up_checkpoints)
        .where(follow_up_checkpoints.c.follow_up_id == follow_up_id, follow_up_checkpoints.c.months == months)
        .values(recorded=True)
    )


def keep_ministry_contact(
    connection: Connection, user_id: str, email: str, name: str | None, language: str
) -> None:
    values = {"user_id": user_id, "email": email, "name": name, "language": language}
    _upsert(connection, ministry_contacts, ["user_id"], values)
