"""Schema operations for migrations: the privacy tables (see :mod:`gsi_kernel.privacy.tables`)."""

from __future__ import annotations

from sqlalchemy import Connection

from gsi_kernel.privacy.tables import metadata


def create_privacy_tables_v1(connection: Connection) -> None:
    """Create ``subject_keys``, the per-subject data keys of crypto-shredding.

    Version 1, frozen: a later change comes as ``upgrade_privacy_tables_v2``, called by a service's
    next migration.
    """
    metadata.create_all(connection)


def drop_privacy_tables(connection: Connection) -> None:
    metadata.drop_all(connection)
