"""Kernel tables (event store, outbox, consumers), per-person keys, and registration's read
models.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from gsi_kernel.privacy.ddl import create_privacy_tables_v1
from gsi_kernel.store.ddl import create_kernel_tables_v1
from gsi_kernel.store.types import AutoId, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_Key = sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")


def upgrade() -> None:
    create_kernel_tables_v1(op.get_bind())
    create_privacy_tables_v1(op.get_bind())
    op.create_table(
        "persons",
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False),
        sa.Column("family_name", sa.String(200)),
        sa.Column("given_name", sa.String(200)),
        sa.Column("name_key", sa.String(400)),
        sa.Column("family_norm", _Key),
        sa.Column("given_norm", _Key),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("country_of_birth", sa.String(2), nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("status_since", sa.Date, nullable=False),
        sa.Column("region", sa.String(2)),
        sa.Column("uci_hash", sa.String(64)),
        sa.Column("eligible_v1", sa.Boolean, nullable=False),
        sa.Column("eligible_v2", sa.Boolean, nullable=False),
        sa.Column("eligible_v3", sa.Boolean, nullable=False),
        sa.Column("eligible_v4", sa.Boolean, nullable=False),
        sa.Column("eligible_v5", sa.Boolean, nullable=False),
        sa.Column("eligibility_on", sa.Date),
        sa.Column("registered_at", UtcDateTime(), nullable=False),
        sa.Column("last_activity_at", UtcDateTime(), nullable=False),
        sa.Column("erased", sa.Boolean, nullable=False),
        sa.Column("merged_into", sa.String(36)),
    )
    op.create_index(
        "ix_persons_org_family", "persons", ["organization_id", "family_norm", "given_norm", "person_id"]
    )
    op.create_index("ix_persons_family", "persons", ["family_norm", "given_norm", "person_id"])
    op.create_index("ix_persons_org_registered", "persons", ["organization_id", "registered_at"])
    op.create_index("ix_persons_identity", "persons", ["birth_date", "sex"])
    op.create_index("ix_persons_uci", "persons", ["uci_hash"])
    op.create_index("ix_persons_status_region", "persons", ["status", "region"])
    op.create_index("ix_persons_region", "persons", ["region"])
    for volet in ("v1", "v2", "v3", "v4", "v5"):
        op.create_index(
            f"ix_persons_eligible_{volet}",
            "persons",
            ["family_norm", "given_norm", "person_id"],
            postgresql_where=sa.text(f"eligible_{volet}"),
            sqlite_where=sa.text(f"eligible_{volet}"),
        )
    op.create_table(
        "name_tokens",
        sa.Column("token", _Key, primary_key=True),
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False),
        sa.Column("family_norm", _Key, nullable=False),
        sa.Column("given_norm", _Key, nullable=False),
        sa.Column("registered_at", UtcDateTime(), nullable=False),
    )
    covering = ["person_id", "family_norm", "given_norm", "registered_at"]
    op.create_index("ix_name_tokens_prefix", "name_tokens", ["token"], postgresql_include=covering)
    op.create_index(
        "ix_name_tokens_org", "name_tokens", ["organization_id", "token"], postgresql_include=covering
    )
    op.create_index("ix_persons_activity", "persons", ["last_activity_at"])
    op.create_table(
        "consents",
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("purpose", sa.String(40), primary_key=True),
        sa.Column("given_at", UtcDateTime(), nullable=False),
        sa.Column("withdrawn_at", UtcDateTime()),
        sa.Column("withdrawal_reason", sa.String(500)),
    )
    op.create_table(
        "documents",
        sa.Column("document_id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), nullable=False, index=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_at", UtcDateTime(), nullable=False),
        sa.Column("uploaded_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "document_contents",
        sa.Column("document_id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), nullable=False, index=True),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "duplicate_queue",
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("candidate_person_id", sa.String(36), primary_key=True),
        sa.Column("match", sa.String(20), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("flagged_at", UtcDateTime(), nullable=False),
        sa.Column("resolved_at", UtcDateTime()),
    )
    op.create_index("ix_duplicate_queue_state", "duplicate_queue", ["state", "flagged_at"])
    op.create_table(
        "access_log",
        sa.Column("id", AutoId, primary_key=True, autoincrement=True),
        sa.Column("person_id", sa.String(36), nullable=False, index=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("actor_organization", sa.String(100)),
        sa.Column("roles", sa.String(200), nullable=False),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False, index=True),
    )
    op.create_table(
        "rule_sets",
        sa.Column("program", sa.String(20), primary_key=True),
        sa.Column("version", sa.String(40), primary_key=True),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("published_at", UtcDateTime(), nullable=False),
        sa.Column("published_by", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    raise RuntimeError("the initial schema is not downgraded: restore from backup instead")
