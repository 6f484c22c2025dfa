"""Registry read models (organizations, regions, reviewer assignments, agreements, their versions
and targets) and the performance counts from interventions' events (perf_*).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from gsi_kernel.store.types import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _organizations()
    _agreements()
    _performance()


def _organizations() -> None:
    op.create_table(
        "organizations",
        sa.Column("organization_id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("regions", sa.JSON, nullable=False),
        sa.Column("contacts", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("registered_at", UtcDateTime(), nullable=False),
        sa.Column("registered_by", sa.String(200), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("update_reason", sa.String(1000)),
    )
    op.create_table(
        "organization_regions",
        sa.Column("region", sa.String(2), primary_key=True),
        sa.Column("organization_id", sa.String(100), primary_key=True),
    )
    op.create_table(
        "reviewer_assignments",
        sa.Column("organization_id", sa.String(100), primary_key=True),
        sa.Column("reviewer_id", sa.String(200), primary_key=True),
        sa.Column("assigned_at", UtcDateTime(), nullable=False),
        sa.Column("assigned_by", sa.String(200), nullable=False),
    )
    op.create_index(
        "ix_reviewer_assignments_reviewer", "reviewer_assignments", ["reviewer_id", "organization_id"]
    )


def _agreements() -> None:
    op.create_table(
        "agreements",
        sa.Column("agreement_id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False),
        sa.Column("program", sa.String(20), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("volets", sa.JSON, nullable=False),
        sa.Column("funding", sa.JSON, nullable=False),
        sa.Column("targets", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_index("ix_agreements_org_program", "agreements", ["organization_id", "program", "starts_on"])
    op.create_table(
        "agreement_versions",
        sa.Column("agreement_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("reason", sa.String(1000)),
        sa.Column("terms", sa.JSON, nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "agreement_targets",
        sa.Column("agreement_id", sa.String(36), primary_key=True),
        sa.Column("fiscal_year", sa.String(9), primary_key=True),
        sa.Column("period", sa.String(4), primary_key=True),
        sa.Column("measure", sa.String(20), primary_key=True),
        sa.Column("code", sa.String(10), primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False),
        sa.Column("program", sa.String(20), nullable=False),
        sa.Column("value", sa.Integer, nullable=False),
    )
    op.create_index(
        "ix_agreement_targets_org_year", "agreement_targets", ["organization_id", "program", "fiscal_year"]
    )
    op.create_index("ix_agreement_targets_year", "agreement_targets", ["fiscal_year", "program"])


def _performance() -> None:
    op.create_table(
        "perf_interventions",
        sa.Column("intervention_id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("code", sa.String(10), nullable=False),
        sa.Column("service_date", sa.Date, nullable=False),
        sa.Column("fiscal_year", sa.String(9), nullable=False),
        sa.Column("quarter_number", sa.SmallInteger, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index(
        "ix_perf_interventions_org_year",
        "perf_interventions",
        ["organization_id", "fiscal_year", "status", "quarter_number", "person_id"],
    )
    op.create_index(
        "ix_perf_interventions_year_person", "perf_interventions", ["fiscal_year", "status", "person_id"]
    )
    op.create_table(
        "perf_action_plans",
        sa.Column("plan_id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("opened_on", sa.Date, nullable=False),
        sa.Column("fiscal_year", sa.String(9), nullable=False),
        sa.Column("quarter_number", sa.SmallInteger, nullable=False),
    )
    op.create_index(
        "ix_perf_action_plans_org_year",
        "perf_action_plans",
        ["organization_id", "fiscal_year", "quarter_number"],
    )
    op.create_index("ix_perf_action_plans_person", "perf_action_plans", ["person_id", "opened_on"])


def downgrade() -> None:
    for index, table in (
        ("ix_perf_action_plans_person", "perf_action_plans"),
        ("ix_perf_action_plans_org_year", "perf_action_plans"),
        ("ix_perf_interventions_year_person", "perf_interventions"),
        ("ix_perf_interventions_org_year", "perf_interventions"),
        ("ix_agreement_targets_year", "agreement_targets"),
        ("ix_agreement_targets_org_year", "agreement_targets"),
        ("ix_agreements_org_program", "agreements"),
        ("ix_reviewer_assignments_reviewer", "reviewer_assignments"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "perf_action_plans",
        "perf_interventions",
        "agreement_targets",
        "agreement_versions",
        "agreements",
        "reviewer_assignments",
        "organization_regions",
        "organizations",
    ):
        op.drop_table(table)
