"""What interventions learns from reporting's published events: each organization's agreement
volets, which quarters are locked (an accepted report closes its quarter to changes), and which
organizations each reviewer is assigned (ADR 23)."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert

from gsi_contracts import reporting as contract
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.runtime import ConsumerSpec
from gsi_readmodels.reviewers import ReviewerFollower
from interventions.tables import agreements, quarter_locks, reviewer_assignments


def on_agreement_recorded(connection: Connection, event: EventEnvelope) -> None:
    agreement = contract.AgreementRecorded.model_validate(event.payload)
    connection.execute(delete(agreements).where(agreements.c.agreement_id == agreement.agreement_id))
    connection.execute(
        insert(agreements).values(
            agreement_id=agreement.agreement_id,
            organization_id=agreement.organization_id,
            program=agreement.program,
            volets=",".join(sorted(agreement.volets)),
            starts_on=agreement.starts_on,
            ends_on=agreement.ends_on,
        )
    )


def on_quarter_locked(connection: Connection, event: EventEnvelope) -> None:
    lock = contract.QuarterLocked.model_validate(event.payload)
    _set_lock(connection, lock.organization_id, lock.quarter, lock.report_id, locked=True, event=event)


def on_quarter_unlocked(connection: Connection, event: EventEnvelope) -> None:
    unlock = contract.QuarterUnlocked.model_validate(event.payload)
    _set_lock(connection, unlock.organization_id, unlock.quarter, unlock.report_id, locked=False, event=event)


def _set_lock(
    connection: Connection,
    organization_id: str,
    quarter: str,
    report_id: str,
    *,
    locked: bool,
    event: EventEnvelope,
) -> None:
    key = (quarter_locks.c.organization_id == organization_id) & (quarter_locks.c.quarter == quarter)
    connection.execute(delete(quarter_locks).where(key))
    connection.execute(
        insert(quarter_locks).values(
            organization_id=organization_id,
            quarter=quarter,
            locked=locked,
            report_id=report_id,
            changed_at=event.occurred_at,
        )
    )


def consumer() -> ConsumerSpec:
    """The consumer of reporting's topic that keeps agreements, quarter locks and reviewer
    assignments."""
    handlers = {
        contract.AgreementRecorded.event_type: on_agreement_recorded,
        contract.QuarterLocked.event_type: on_quarter_locked,
        contract.QuarterUnlocked.event_type: on_quarter_unlocked,
        **ReviewerFollower(reviewer_assignments).handlers,
    }
    return ConsumerSpec("interventions.reporting", [contract.TOPIC], handlers)
