"""The privacy tables, in each service's own database (or PostgreSQL schema), beside the kernel's.

They have their own :class:`~sqlalchemy.MetaData`, not the kernel tables' one: the services'
first migrations call :func:`gsi_kernel.store.ddl.create_kernel_tables_v1`, which creates every
table of that metadata, and a frozen migration must not change. A service adopts these tables
with a new migration calling :func:`gsi_kernel.privacy.ddl.create_privacy_tables_v1`.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, LargeBinary, MetaData, String, Table

from gsi_kernel.store.types import UtcDateTime

metadata = MetaData()

subject_keys = Table(
    "subject_keys",
    metadata,
    Column("subject_id", String(200), primary_key=True),
    # The subject's data key, wrapped by the master key; NULL once shredded. The row itself stays
    # as a tombstone, so an erased subject never silently gets a new key.
    Column("wrapped_key", LargeBinary),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("shredded_at", UtcDateTime()),
    CheckConstraint(
        "(wrapped_key IS NULL) = (shredded_at IS NOT NULL)",
        name="ck_subject_keys_key_xor_shredded",
    ),
)
