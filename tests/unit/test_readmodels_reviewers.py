"""Reporting's reviewer assignments as the other services keep them (gsi_readmodels.reviewers),
and the kernel's registry that authorizes reviewers from them (ADR 23): on SQLite and on
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime

import pytest
from sqlalchemy import MetaData, Table

from gsi_contracts import reporting as contract
from gsi_kernel.auth import Principal, Role
from gsi_kernel.events import DomainEvent
from gsi_kernel.reviewers import ReviewerRegistry
from gsi_kernel.store.database import Database, connect
from gsi_readmodels.reviewers import (
    ReviewerFollower,
    create_reviewer_assignments_v1,
    reviewer_assignments_table,
)
from tests.consumers import published
from tests.databases import postgres_schema

AT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
TABLE: Table = reviewer_assignments_table(MetaData())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[Database]:
    with ExitStack() as stack:
        if request.param == "sqlite":
            database = connect(f"sqlite:///{tmp_path}/reviewers.db")
        else:
            url = request.getfixturevalue("postgres_url")
            database = connect(url, schema=stack.enter_context(postgres_schema(url)))
        with database.transaction() as connection:
            create_reviewer_assignments_v1(connection)  # as the services' migrations do
        yield database
        database.dispose()


def apply(db: Database, *events: DomainEvent) -> None:
    handlers = ReviewerFollower(TABLE).handlers
    for event in events:
        with db.transaction() as connection:
            handlers[event.event_type](connection, published(event, occurred_at=AT))


def assigned(org: str, reviewer: str = "rita") -> contract.ReviewerAssigned:
    return contract.ReviewerAssigned(organization_id=org, reviewer_id=reviewer)


def unassigned(org: str, reviewer: str = "rita") -> contract.ReviewerUnassigned:
    return contract.ReviewerUnassigned(organization_id=org, reviewer_id=reviewer)


def test_assignments_and_removals_are_kept_per_reviewer(db: Database) -> None:
    registry = ReviewerRegistry(db, TABLE)
    apply(db, assigned("org-a"), assigned("org-b"), assigned("org-a", "paul"))
    assert registry.organizations_of("rita") == {"org-a", "org-b"}
    assert registry.organizations_of("paul") == {"org-a"}
    apply(db, unassigned("org-a"))
    assert registry.organizations_of("rita") == {"org-b"}
    assert registry.organizations_of("paul") == {"org-a"}
    assert registry.organizations_of("nobody") == frozenset()


def test_the_handlers_are_idempotent(db: Database) -> None:
    """An event delivered twice (at-least-once), or a removal of what was never assigned,
    leaves the table as once."""
    registry = ReviewerRegistry(db, TABLE)
    apply(db, assigned("org-a"), assigned("org-a"))
    assert registry.organizations_of("rita") == {"org-a"}
    apply(db, unassigned("org-z"), unassigned("org-a"), unassigned("org-a"))
    assert registry.organizations_of("rita") == frozenset()


def test_a_reviewers_principal_gets_the_registrys_organizations_and_no_one_else_changes(db: Database) -> None:
    registry = ReviewerRegistry(db, TABLE)
    apply(db, assigned("org-a"))
    reviewer = Principal(
        "rita", frozenset({Role.MINISTRY_REVIEWER}), assigned_organizations=frozenset({"org-z"})
    )
    assert registry.principal_with_assignments(reviewer).assigned_organizations == {"org-a"}
    staff = Principal("rita", frozenset({Role.ORG_STAFF}), organization="org-b")
    assert registry.principal_with_assignments(staff) is staff
