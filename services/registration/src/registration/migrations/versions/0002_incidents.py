"""The confidentiality-incident register (Loi 25): its read model.

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
    op.create_table(
        "incidents",
        sa.Column("incident_id", sa.String(36), primary_key=True),
        sa.Column("personal_information", sa.Text, nullable=False),
        sa.Column("circumstances", sa.Text, nullable=False),
        sa.Column("occurred_on", sa.Date, nullable=False),
        sa.Column("occurred_until", sa.Date),
        sa.Column("occurred_estimated", sa.Boolean, nullable=False),
        sa.Column("detected_on", sa.Date, nullable=False),
        sa.Column("persons_concerned", sa.Integer, nullable=False),
        sa.Column("persons_estimated", sa.Boolean, nullable=False),
        sa.Column("risk_assessment", sa.Text, nullable=False),
        sa.Column("serious_injury_risk", sa.Boolean, nullable=False),
        sa.Column("commission_notified_on", sa.Date),
        sa.Column("persons_notified_on", sa.Date),
        sa.Column("public_notice_on", sa.Date),
        sa.Column("measures", sa.JSON, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("closing_reason", sa.Text),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("closed_at", UtcDateTime()),
        sa.Column("closed_by", sa.String(200)),
    )
    op.create_index("ix_incidents_detected_on", "incidents", ["detected_on"])


def downgrade() -> None:
    op.drop_index("ix_incidents_detected_on", table_name="incidents")
    op.drop_table("incidents")
