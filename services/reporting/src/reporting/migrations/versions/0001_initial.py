"""Kernel tables; what reporting learns from interventions and registration; its reports,
submissions, rejections and calendars.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from gsi_kernel.store.ddl import create_kernel_tables_v1
from gsi_kernel.store.types import UtcDateTime
from gsi_readmodels.persons import create_person_tables_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kernel_tables_v1(op.get_bind())
    create_person_tables_v1(op.get_bind())
    _from_interventions()
    _reports()
    _submissions()


def _intervention_fields() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("organization_id", sa.String(100), nullable=False),
        sa.Column("quarter", sa.String(12), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("code", sa.String(10), nullable=False),
        sa.Column("service_date", sa.Date, nullable=False),
        sa.Column("volet", sa.String(2), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("duration_minutes", sa.Integer),
        sa.Column("staff_member", sa.String(200)),
        sa.Column("target_organization", sa.String(100)),
        sa.Column("referral_reason", sa.String(500)),
        sa.Column("session_id", sa.String(36)),
    ]


def _from_interventions() -> None:
    op.create_table(
        "quarter_interventions",
        sa.Column("intervention_id", sa.String(36), primary_key=True),
        *_intervention_fields(),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
    )
    op.create_index(
        "ix_quarter_interventions_org_quarter",
        "quarter_interventions",
        ["organization_id", "quarter", "status"],
    )
    op.create_index("ix_quarter_interventions_person", "quarter_interventions", ["person_id"])
    op.create_table(
        "intervention_versions",
        sa.Column("intervention_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        *_intervention_fields(),
    )
    op.create_table(
        "known_action_plans",
        sa.Column("plan_id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("opened_on", sa.Date, nullable=False),
        sa.Column("closed_on", sa.Date),
    )
    op.create_index("ix_known_action_plans_organization_id", "known_action_plans", ["organization_id"])
    op.create_table(
        "catalogue_versions",
        sa.Column("program", sa.String(20), primary_key=True),
        sa.Column("version", sa.String(40), primary_key=True),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
    )


def _reports() -> None:
    at, by = UtcDateTime, sa.String(200)
    op.create_table(
        "reports",
        sa.Column("report_id", sa.String(200), primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False),
        sa.Column("quarter", sa.String(12), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("submission_version", sa.Integer, nullable=False),
        sa.Column("interventions_count", sa.Integer, nullable=False),
        sa.Column("persons_count", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("warnings", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64)),
        sa.Column("submitted_at", at()),
        sa.Column("submitted_by", by),
        sa.Column("submission_due", sa.Date),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.Column("control_due", sa.Date),
        sa.Column("taken_at", at()),
        sa.Column("taken_by", by),
        sa.Column("decided_at", at()),
        sa.Column("decided_by", by),
        sa.Column("override_reason", sa.Text()),
        sa.Column("rejection_count", sa.Integer, nullable=False),
        sa.Column("resubmission_due", sa.Date),
        sa.Column("locked_at", at()),
        sa.Column("locked_by", by),
        sa.Column("unlocked_at", at()),
        sa.Column("unlocked_by", by),
        sa.Column("unlock_reason", sa.Text()),
        sa.Column("verified_at", at()),
        sa.Column("verified_by", by),
        sa.Column("verified_errors", sa.Integer),
        sa.Column("verified_warnings", sa.Integer),
        sa.Column("updated_at", at(), nullable=False),
        sa.Column("updated_by", by, nullable=False),
    )
    op.create_index("ix_reports_org_quarter", "reports", ["organization_id", "quarter"], unique=True)
    op.create_index("ix_reports_state_control_due", "reports", ["state", "control_due", "submitted_at"])
    op.create_index("ix_reports_quarter_state", "reports", ["quarter", "state"])
    op.create_table(
        "fiscal_calendars",
        sa.Column("fiscal_year", sa.String(9), primary_key=True),
        sa.Column("calendar", sa.JSON(), nullable=False),
        sa.Column("set_at", at(), nullable=False),
        sa.Column("set_by", by, nullable=False),
    )


def _key() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("report_id", sa.String(200), primary_key=True),
        sa.Column("submission_version", sa.Integer, primary_key=True),
    ]


def _submissions() -> None:
    op.create_table(
        "report_submissions",
        *_key(),
        sa.Column("organization_id", sa.String(100), nullable=False),
        sa.Column("quarter", sa.String(12), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("interventions_count", sa.Integer, nullable=False),
        sa.Column("persons_count", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("warnings", sa.Integer, nullable=False),
        sa.Column("by_check", sa.JSON(), nullable=False),
        sa.Column("findings_truncated", sa.Boolean, nullable=False),
        sa.Column("catalogue_versions", sa.JSON(), nullable=False),
        sa.Column("rule_set_versions", sa.JSON(), nullable=False),
        sa.Column("submitted_on", sa.Date, nullable=False),
        sa.Column("submission_due", sa.Date, nullable=False),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.Column("control_due", sa.Date, nullable=False),
        sa.Column("submitted_at", UtcDateTime(), nullable=False),
        sa.Column("submitted_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "submission_items",
        *_key(),
        sa.Column("intervention_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "submission_findings",
        *_key(),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("intervention_id", sa.String(36), nullable=False),
        sa.Column("check", sa.String(4), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("code", sa.String(60), nullable=False),
        sa.Column("fr", sa.Text(), nullable=False),
        sa.Column("en", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
    )
    op.create_index(
        "ix_submission_findings_item",
        "submission_findings",
        ["report_id", "submission_version", "intervention_id"],
    )
    op.create_table(
        "rejections",
        sa.Column("report_id", sa.String(200), primary_key=True),
        sa.Column("rejection_number", sa.Integer, primary_key=True),
        sa.Column("submission_version", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("failed_checks", sa.JSON(), nullable=False),
        sa.Column("resubmission_due", sa.Date, nullable=False),
        sa.Column("rejected_at", UtcDateTime(), nullable=False),
        sa.Column("rejected_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "rejection_items",
        sa.Column("report_id", sa.String(200), primary_key=True),
        sa.Column("rejection_number", sa.Integer, primary_key=True),
        sa.Column("intervention_id", sa.String(36), primary_key=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text()),
        sa.Column("answered_at", UtcDateTime()),
        sa.Column("answered_by", sa.String(200)),
    )


def downgrade() -> None:
    raise RuntimeError("the initial schema is not downgraded: restore from backup instead")
