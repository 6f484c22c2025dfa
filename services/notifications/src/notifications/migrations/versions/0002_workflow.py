"""What the reminders are decided from (organizations, reviewers, agreements, deadlines, report
states, regionalization checkpoints), the ministry's contact directory, the scheduler's lease and
the inbox's read marks.

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

ORG = sa.String(100)


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("organization_id", ORG, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("contacts", sa.JSON, nullable=False),
    )
    op.create_table(
        "reviewer_assignments",
        sa.Column("organization_id", ORG, primary_key=True),
        sa.Column("reviewer_id", sa.String(200), primary_key=True),
    )
    op.create_table(
        "agreements",
        sa.Column("agreement_id", sa.String(100), primary_key=True),
        sa.Column("organization_id", ORG, nullable=False, index=True),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
    )
    op.create_table(
        "deadlines",
        sa.Column("quarter", sa.String(12), primary_key=True),
        sa.Column("submission_due", sa.Date, nullable=False, index=True),
    )
    op.create_table(
        "reports",
        sa.Column("organization_id", ORG, primary_key=True),
        sa.Column("quarter", sa.String(12), primary_key=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("submission_version", sa.Integer, nullable=False),
        sa.Column("submitted_on", sa.Date),
        sa.Column("control_due", sa.Date),
        sa.Column("rejection_number", sa.Integer, nullable=False),
        sa.Column("resubmission_due", sa.Date),
    )
    op.create_table(
        "follow_up_checkpoints",
        sa.Column("follow_up_id", sa.String(100), primary_key=True),
        sa.Column("months", sa.Integer, primary_key=True),
        sa.Column("organization_id", ORG, nullable=False),
        sa.Column("person_id", sa.String(100), nullable=False),
        sa.Column("destination_region", sa.String(2), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("recorded", sa.Boolean, nullable=False),
    )
    op.create_index("ix_follow_up_checkpoints_open", "follow_up_checkpoints", ["recorded", "due_on"])
    op.create_table(
        "ministry_contacts",
        sa.Column("user_id", sa.String(200), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("language", sa.String(2), nullable=False),
    )
    op.create_table(
        "scheduler_lease",
        sa.Column("name", sa.String(60), primary_key=True),
        sa.Column("holder", sa.String(100), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "inbox_reads",
        sa.Column("dedupe_key", sa.String(300), primary_key=True),
        sa.Column("user_id", sa.String(200), primary_key=True),
        sa.Column("read_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "inbox_reads", "scheduler_lease", "ministry_contacts", "follow_up_checkpoints", "reports",
        "deadlines", "agreements", "reviewer_assignments", "organizations",
    ):  # fmt: skip
        op.drop_table(table)
