"""The e-mail delivery log (notifications.deliveries.projection).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from gsi_kernel.store.types import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("delivery_id", sa.String(36), primary_key=True),
        sa.Column("notice_id", sa.String(36), nullable=False, index=True),
        sa.Column("stream_id", sa.String(320), nullable=False),
        sa.Column("recipient", sa.Integer, nullable=False),
        sa.Column("dedupe_key", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("organization_id", sa.String(100), nullable=False, index=True),
        sa.Column("audience", sa.String(20), nullable=False),
        sa.Column("quarter", sa.String(12)),
        sa.Column("address", sa.String(320)),
        sa.Column("recipient_name", sa.String(200)),
        sa.Column("user_id", sa.String(200)),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UtcDateTime()),
        sa.Column("last_error", sa.String(60)),
        sa.Column("error_detail", sa.String(2000)),
        sa.Column("dead_reason", sa.String(60)),
        sa.Column("sent_at", UtcDateTime()),
        sa.Column("message_id", sa.String(200)),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("correlation_id", sa.String(36), nullable=False),
        sa.Column("traceparent", sa.String(55)),
        sa.Column("claimed_by", sa.String(100)),
        sa.Column("claimed_until", UtcDateTime()),
        sa.UniqueConstraint("stream_id", "recipient", name="uq_deliveries_stream_recipient"),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("deliveries")
