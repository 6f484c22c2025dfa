"""Reporting's read models."""

from __future__ import annotations

from sqlalchemy import Column, Date, Integer, MetaData, String, Table

from gsi_kernel.store.types import UtcDateTime

metadata = MetaData()

# One row per intervention declared, from interventions' published events.
quarter_interventions = Table(
    "quarter_interventions",
    metadata,
    Column("intervention_id", String(36), primary_key=True),
    Column("organization_id", String(100), nullable=False),
    Column("quarter", String(12), nullable=False),
    Column("person_id", String(36), nullable=False),
    Column("code", String(10), nullable=False),
    Column("service_date", Date, nullable=False),
)

reports = Table(
    "reports",
    metadata,
    Column("report_id", String(200), primary_key=True),
    Column("organization_id", String(100), nullable=False),
    Column("quarter", String(12), nullable=False),
    Column("state", String(20), nullable=False),
    Column("submission_version", Integer, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("updated_by", String(200), nullable=False),
)
