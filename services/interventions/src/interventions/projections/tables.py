"""Interventions' read models: the persons it learned of from registration, and its own
interventions."""

from __future__ import annotations

from sqlalchemy import Column, Date, Integer, MetaData, String, Table

from gsi_kernel.store.types import UtcDateTime

metadata = MetaData()

known_persons = Table(
    "known_persons",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("organization_id", String(100), nullable=False, index=True),
    Column("birth_date", Date, nullable=False),
    Column("status", String(40), nullable=False),
    Column("status_since", Date, nullable=False),
    Column("region", String(2)),
)

interventions = Table(
    "interventions",
    metadata,
    Column("intervention_id", String(36), primary_key=True),
    Column("organization_id", String(100), nullable=False, index=True),
    Column("person_id", String(36), nullable=False, index=True),
    Column("code", String(10), nullable=False),
    Column("service_date", Date, nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("mode", String(20), nullable=False),
    Column("volet", String(2), nullable=False),
    Column("staff_member", String(200), nullable=False),
    Column("declared_at", UtcDateTime(), nullable=False),
    Column("declared_by", String(200), nullable=False),
)
