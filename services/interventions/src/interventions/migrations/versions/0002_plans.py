"""Action plans and regionalization follow-ups: read models, and the one-active-plan guard.

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

_PENDING = sa.text("outcome IS NULL")


def upgrade() -> None:
    op.create_table(
        "action_plans",
        sa.Column("plan_id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("opened_on", sa.Date, nullable=False),
        sa.Column("closed_on", sa.Date),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("needs", sa.JSON, nullable=False),
        sa.Column("objective_count", sa.Integer, nullable=False),
        sa.Column("planned_service_count", sa.Integer, nullable=False),
        sa.Column("follow_up_count", sa.Integer, nullable=False),
        sa.Column("last_follow_up_on", sa.Date),
        sa.Column("outcome", sa.String(30)),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("opened_by", sa.String(200), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_index(
        "ix_action_plans_org_person", "action_plans", ["organization_id", "person_id", "opened_on"]
    )
    op.create_index("ix_action_plans_org_status", "action_plans", ["organization_id", "status", "opened_on"])
    op.create_table(
        "action_plan_claims",
        sa.Column("organization_id", sa.String(100), primary_key=True),
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("plan_id", sa.String(36), nullable=False),
    )
    op.create_table(
        "regionalization_follow_ups",
        sa.Column("follow_up_id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("destination_region", sa.String(2), nullable=False),
        sa.Column("current_region", sa.String(2), nullable=False),
        sa.Column("opened_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("opened_by", sa.String(200), nullable=False),
    )
    op.create_index(
        "ix_regionalization_follow_ups_org_person",
        "regionalization_follow_ups",
        ["organization_id", "person_id"],
    )
    op.create_index(
        "ix_regionalization_follow_ups_org_status",
        "regionalization_follow_ups",
        ["organization_id", "status", "opened_on"],
    )
    op.create_table(
        "regionalization_checkpoints",
        sa.Column("follow_up_id", sa.String(36), primary_key=True),
        sa.Column("months", sa.Integer, primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("outcome", sa.String(10)),
        sa.Column("new_region", sa.String(2)),
        sa.Column("recorded_on", sa.Date),
        sa.Column("note", sa.String(1000)),
        sa.Column("recorded_at", UtcDateTime()),
        sa.Column("recorded_by", sa.String(200)),
    )
    # Partial: only checkpoints still waiting for an outcome, the ones the "due" queries look for.
    op.create_index(
        "ix_regionalization_checkpoints_org_pending",
        "regionalization_checkpoints",
        ["organization_id", "due_on"],
        postgresql_where=_PENDING,
        sqlite_where=_PENDING,
    )
    op.create_index(
        "ix_regionalization_checkpoints_pending",
        "regionalization_checkpoints",
        ["due_on"],
        postgresql_where=_PENDING,
        sqlite_where=_PENDING,
    )


def downgrade() -> None:
    for index, table in (
        ("ix_regionalization_checkpoints_pending", "regionalization_checkpoints"),
        ("ix_regionalization_checkpoints_org_pending", "regionalization_checkpoints"),
        ("ix_regionalization_follow_ups_org_status", "regionalization_follow_ups"),
        ("ix_regionalization_follow_ups_org_person", "regionalization_follow_ups"),
        ("ix_action_plans_org_status", "action_plans"),
        ("ix_action_plans_org_person", "action_plans"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "regionalization_checkpoints",
        "regionalization_follow_ups",
        "action_plan_claims",
        "action_plans",
    ):
        op.drop_table(table)
