"""Read models of the registry — organizations, reviewer assignments, agreements and their
targets — projected from this service's own store. (What the dashboards count against the
targets: :mod:`reporting.performance_tables`.)"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Date,
    Index,
    Integer,
    String,
    Table,
    delete,
    insert,
    update,
)

from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.projections import EventByEvent
from gsi_kernel.store.types import UtcDateTime
from reporting.agreements import domain as agreement
from reporting.agreements.domain import AgreementAmended, AgreementRecorded, Target
from reporting.event_registry import EVENTS
from reporting.organizations import domain as organization
from reporting.organizations.domain import (
    OrganizationRegistered,
    OrganizationUpdated,
    ReviewerAssigned,
    ReviewerUnassigned,
)
from reporting.tables import metadata

organizations = Table(
    "organizations",
    metadata,
    Column("organization_id", String(100), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("regions", JSON, nullable=False),
    Column("contacts", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("registered_at", UtcDateTime(), nullable=False),
    Column("registered_by", String(200), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("update_reason", String(1000)),
)

# One row per region served: "which organizations serve region 05" is an indexed lookup.
organization_regions = Table(
    "organization_regions",
    metadata,
    Column("region", String(2), primary_key=True),
    Column("organization_id", String(100), primary_key=True),
)

reviewer_assignments = Table(
    "reviewer_assignments",
    metadata,
    Column("organization_id", String(100), primary_key=True),
    Column("reviewer_id", String(200), primary_key=True),
    Column("assigned_at", UtcDateTime(), nullable=False),
    Column("assigned_by", String(200), nullable=False),
    Index("ix_reviewer_assignments_reviewer", "reviewer_id", "organization_id"),
)

agreements = Table(
    "agreements",
    metadata,
    Column("agreement_id", String(36), primary_key=True),
    Column("organization_id", String(100), nullable=False),
    Column("program", String(20), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("volets", JSON, nullable=False),
    Column("funding", JSON, nullable=False),
    Column("targets", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("updated_by", String(200), nullable=False),
    Index("ix_agreements_org_program", "organization_id", "program", "starts_on"),
)

# Every version of every agreement, with the reason of each amendment (version 1 has none).
agreement_versions = Table(
    "agreement_versions",
    metadata,
    Column("agreement_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("reason", String(1000)),
    Column("terms", JSON, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("recorded_by", String(200), nullable=False),
)

# The current targets flattened, one row per (period, measure, code); code is '' except for
# interventions. What the dashboards join against.
agreement_targets = Table(
    "agreement_targets",
    metadata,
    Column("agreement_id", String(36), primary_key=True),
    Column("fiscal_year", String(9), primary_key=True),
    Column("period", String(4), primary_key=True),
    Column("measure", String(20), primary_key=True),
    Column("code", String(10), primary_key=True),
    Column("organization_id", String(100), nullable=False),
    Column("program", String(20), nullable=False),
    Column("value", Integer, nullable=False),
    Index("ix_agreement_targets_org_year", "organization_id", "program", "fiscal_year"),
    Index("ix_agreement_targets_year", "fiscal_year", "program"),
)

# Decoded through the service's registry (its upcasters), only this module's own types.
_MINE = frozenset(c.event_type for c in (*organization.EVENTS, *agreement.EVENTS))
_OWN_TABLES = (
    organizations,
    organization_regions,
    reviewer_assignments,
    agreements,
    agreement_versions,
    agreement_targets,
)


class RegistryProjection(EventByEvent):
    name = "reporting.registry"

    def apply(self, connection: Connection, envelope: EventEnvelope) -> None:
        if envelope.type not in _MINE:
            return
        event = EVENTS.decode(envelope.type, envelope.schema_version, envelope.payload)
        if isinstance(event, OrganizationRegistered | OrganizationUpdated):
            _organization(connection, event, envelope)
        elif isinstance(event, ReviewerAssigned):
            connection.execute(
                insert(reviewer_assignments).values(
                    organization_id=event.organization_id,
                    reviewer_id=event.reviewer_id,
                    assigned_at=envelope.occurred_at,
                    assigned_by=envelope.actor,
                )
            )
        elif isinstance(event, ReviewerUnassigned):
            connection.execute(
                delete(reviewer_assignments).where(
                    reviewer_assignments.c.organization_id == event.organization_id,
                    reviewer_assignments.c.reviewer_id == event.reviewer_id,
                )
            )
        elif isinstance(event, AgreementRecorded | AgreementAmended):
            _agreement(connection, event, envelope)

    def reset(self, connection: Connection) -> None:
        for table in _OWN_TABLES:
            connection.execute(delete(table))


def _organization(
    connection: Connection, event: OrganizationRegistered | OrganizationUpdated, envelope: EventEnvelope
) -> None:
    values: dict[str, Any] = {
        "name": event.name,
        "regions": list(event.regions),
        "contacts": [c.model_dump() for c in event.contacts],
        "version": envelope.stream_version,
        "updated_at": envelope.occurred_at,
        "updated_by": envelope.actor,
    }
    key = organizations.c.organization_id == event.organization_id
    if isinstance(event, OrganizationRegistered):
        connection.execute(
            insert(organizations).values(
                organization_id=event.organization_id,
                registered_at=envelope.occurred_at,
                registered_by=envelope.actor,
                **values,
            )
        )
    else:
        connection.execute(update(organizations).where(key).values(update_reason=event.reason, **values))
    connection.execute(
        delete(organization_regions).where(organization_regions.c.organization_id == event.organization_id)
    )
    connection.execute(
        insert(organization_regions),
        [{"region": r, "organization_id": event.organization_id} for r in event.regions],
    )


def _agreement(
    connection: Connection, event: AgreementRecorded | AgreementAmended, envelope: EventEnvelope
) -> None:
    terms = {
        "volets": list(event.volets),
        "funding": [f.model_dump() for f in event.funding],
        "targets": [t.model_dump() for t in event.targets],
    }
    version = event.version if isinstance(event, AgreementAmended) else 1
    stamp = {"updated_at": envelope.occurred_at, "updated_by": envelope.actor}
    if isinstance(event, AgreementRecorded):
        connection.execute(
            insert(agreements).values(
                agreement_id=event.agreement_id,
                organization_id=event.organization_id,
                program=event.program,
                starts_on=event.starts_on,
                ends_on=event.ends_on,
                version=1,
                recorded_at=envelope.occurred_at,
                recorded_by=envelope.actor,
                **terms,
                **stamp,
            )
        )
    else:
        connection.execute(
            update(agreements)
            .where(agreements.c.agreement_id == event.agreement_id)
            .values(version=version, **terms, **stamp)
        )
    connection.execute(
        insert(agreement_versions).values(
            agreement_id=event.agreement_id,
            version=version,
            reason=event.reason if isinstance(event, AgreementAmended) else None,
            terms=terms,
            recorded_at=envelope.occurred_at,
            recorded_by=envelope.actor,
        )
    )
    _replace_targets(connection, event)


def _replace_targets(connection: Connection, event: AgreementRecorded | AgreementAmended) -> None:
    connection.execute(
        delete(agreement_targets).where(agreement_targets.c.agreement_id == event.agreement_id)
    )
    rows = [
        row
        for t in event.targets
        for row in _target_rows(event.agreement_id, event.organization_id, event.program, t)
    ]
    if rows:
        connection.execute(insert(agreement_targets), rows)


def _target_rows(
    agreement_id: str, organization_id: str, program: str, target: Target
) -> list[dict[str, Any]]:
    common = {
        "agreement_id": agreement_id,
        "organization_id": organization_id,
        "program": program,
        "fiscal_year": target.fiscal_year,
        "period": target.period,
    }
    measures = [("unique_persons", "", target.unique_persons), ("action_plans", "", target.action_plans)]
    measures += [("interventions", code, n) for code, n in target.interventions.items()]
    return [{**common, "measure": m, "code": code, "value": value} for m, code, value in measures]
