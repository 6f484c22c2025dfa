"""Kernel tables; what interventions learns from registration and reporting; its own read
models; import jobs.

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
    op.create_table(
        "agreements",
        sa.Column("agreement_id", sa.String(100), primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False, index=True),
        sa.Column("program", sa.String(20), nullable=False),
        sa.Column("volets", sa.String(40), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
    )
    op.create_table(
        "catalogue_versions",
        sa.Column("program", sa.String(20), primary_key=True),
        sa.Column("version", sa.String(40), primary_key=True),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
    )
    op.create_table(
        "group_sessions",
        sa.Column("session_id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False, index=True),
        sa.Column("code", sa.String(10), nullable=False),
        sa.Column("service_date", sa.Date, nullable=False),
        sa.Column("title", sa.String(200)),
        sa.Column("attendees", sa.Integer, nullable=False),
        sa.Column("held_at", UtcDateTime(), nullable=False),
        sa.Column("held_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "import_errors",
        sa.Column("import_id", sa.String(36), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("row", sa.Integer),
        sa.Column("column", sa.String(40)),
        sa.Column("code", sa.String(60), nullable=False),
        sa.Column("fr", sa.Text(), nullable=False),
        sa.Column("en", sa.Text(), nullable=False),
        sa.Column("value", sa.String(120)),
    )
    op.create_table(
        "imports",
        sa.Column("import_id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("format", sa.String(5), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("total_rows", sa.Integer, nullable=False),
        sa.Column("processed_rows", sa.Integer, nullable=False),
        sa.Column("created", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime()),
        sa.Column("started_by", sa.String(200), nullable=False),
        sa.Column("failure", sa.Text()),
    )
    op.create_index("ix_imports_org_sha", "imports", ["organization_id", "sha256"])
    op.create_table(
        "intervention_flags",
        sa.Column("intervention_id", sa.String(36), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False),
        sa.Column("check", sa.String(4), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("code", sa.String(60), nullable=False),
        sa.Column("fr", sa.Text(), nullable=False),
        sa.Column("en", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
    )
    op.create_index("ix_flags_org_check", "intervention_flags", ["organization_id", "check"])
    op.create_table(
        "interventions",
        sa.Column("intervention_id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False, index=True),
        sa.Column("code", sa.String(10), nullable=False),
        sa.Column("service_date", sa.Date, nullable=False),
        sa.Column("quarter", sa.String(12), nullable=False),
        sa.Column("duration_minutes", sa.Integer, nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("volet", sa.String(2), nullable=False),
        sa.Column("staff_member", sa.String(200), nullable=False),
        sa.Column("notes", sa.Text()),
        sa.Column("target_organization", sa.String(100)),
        sa.Column("referral_reason", sa.String(500)),
        sa.Column("session_id", sa.String(36)),
        sa.Column("import_id", sa.String(36)),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("warnings", sa.Integer, nullable=False),
        sa.Column("declared_at", UtcDateTime(), nullable=False),
        sa.Column("declared_by", sa.String(200), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_index(
        "ix_interventions_org_quarter", "interventions", ["organization_id", "quarter", "service_date"]
    )
    op.create_index("ix_interventions_staff_day", "interventions", ["staff_member", "service_date"])
    op.create_table(
        "lock_exceptions",
        sa.Column("exception_id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False),
        sa.Column("quarter", sa.String(12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("intervention_ids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("valid_until", sa.Date),
        sa.Column("requested_at", UtcDateTime(), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("decided_at", UtcDateTime()),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("decision_reason", sa.Text()),
    )
    op.create_index("ix_lock_exceptions_org_quarter", "lock_exceptions", ["organization_id", "quarter"])
    op.create_table(
        "quarter_locks",
        sa.Column("organization_id", sa.String(100), primary_key=True),
        sa.Column("quarter", sa.String(12), primary_key=True),
        sa.Column("locked", sa.Boolean, nullable=False),
        sa.Column("report_id", sa.String(100), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    raise RuntimeError("the initial schema is not downgraded: restore from backup instead")
