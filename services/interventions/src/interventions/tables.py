"""Interventions' read models.

Two kinds: what it learns from other services' published events (persons and their status
history, rule sets, agreements, quarter locks — written by idempotent consumers), and
projections of its own store (interventions and their flags, sessions, lock exceptions,
catalogue versions — rebuildable). Import jobs' progress is operational state (``imports``).
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, Index, Integer, MetaData, String, Table, Text

from gsi_kernel.store.types import UtcDateTime
from gsi_readmodels.catalogues import catalogue_table
from gsi_readmodels.persons import person_tables
from gsi_readmodels.reviewers import reviewer_assignments_table

metadata = MetaData()

# ---- from registration's events ------------------------------------------------------------

PERSONS = person_tables(metadata)
known_persons = PERSONS.persons
known_person_statuses = PERSONS.statuses
published_rule_sets = PERSONS.rule_sets

# ---- from reporting's events -----------------------------------------------------------------

# Which organizations each ministry reviewer may read and control (ADR 23).
reviewer_assignments = reviewer_assignments_table(metadata)

agreements = Table(
    "agreements",
    metadata,
    Column("agreement_id", String(100), primary_key=True),
    Column("organization_id", String(100), nullable=False, index=True),
    Column("program", String(20), nullable=False),
    Column("volets", String(40), nullable=False),  # "V1,V2"
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
)

quarter_locks = Table(
    "quarter_locks",
    metadata,
    Column("organization_id", String(100), primary_key=True),
    Column("quarter", String(12), primary_key=True),
    Column("locked", Boolean, nullable=False),
    Column("report_id", String(100), nullable=False),
    Column("changed_at", UtcDateTime(), nullable=False),
)

# ---- projections of this service's own store -------------------------------------------------

interventions = Table(
    "interventions",
    metadata,
    Column("intervention_id", String(36), primary_key=True),
    Column("organization_id", String(100), nullable=False),
    Column("person_id", String(36), nullable=False, index=True),
    Column("code", String(10), nullable=False),
    Column("service_date", Date, nullable=False),
    Column("quarter", String(12), nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("mode", String(20), nullable=False),
    Column("volet", String(2), nullable=False),
    Column("staff_member", String(200), nullable=False),
    Column("notes", Text),
    Column("target_organization", String(100)),
    Column("referral_reason", String(500)),
    Column("session_id", String(36)),
    Column("import_id", String(36)),
    Column("status", String(10), nullable=False),  # active | cancelled
    Column("version", Integer, nullable=False),
    Column("errors", Integer, nullable=False),
    Column("warnings", Integer, nullable=False),
    Column("declared_at", UtcDateTime(), nullable=False),
    Column("declared_by", String(200), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("updated_by", String(200), nullable=False),
    Index("ix_interventions_org_quarter", "organization_id", "quarter", "service_date"),
    Index("ix_interventions_staff_day", "staff_member", "service_date"),
)

intervention_flags = Table(
    "intervention_flags",
    metadata,
    Column("intervention_id", String(36), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("organization_id", String(100), nullable=False),
    Column("check", String(4), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("code", String(60), nullable=False),
    Column("fr", Text, nullable=False),
    Column("en", Text, nullable=False),
    Column("details", JSON, nullable=False),
    Index("ix_flags_org_check", "organization_id", "check"),
)

group_sessions = Table(
    "group_sessions",
    metadata,
    Column("session_id", String(36), primary_key=True),
    Column("organization_id", String(100), nullable=False, index=True),
    Column("code", String(10), nullable=False),
    Column("service_date", Date, nullable=False),
    Column("title", String(200)),
    Column("attendees", Integer, nullable=False),
    Column("held_at", UtcDateTime(), nullable=False),
    Column("held_by", String(200), nullable=False),
)

lock_exceptions = Table(
    "lock_exceptions",
    metadata,
    Column("exception_id", String(36), primary_key=True),
    Column("organization_id", String(100), nullable=False),
    Column("quarter", String(12), nullable=False),
    Column("reason", Text, nullable=False),
    Column("intervention_ids", JSON, nullable=False),
    Column("status", String(10), nullable=False),  # requested | granted | refused
    Column("valid_until", Date),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("decided_at", UtcDateTime()),
    Column("decided_by", String(200)),
    Column("decision_reason", Text),
    Index("ix_lock_exceptions_org_quarter", "organization_id", "quarter"),
)

catalogue_versions = catalogue_table(metadata)

# ---- import jobs (operational state, not a projection) ---------------------------------------

imports = Table(
    "imports",
    metadata,
    Column("import_id", String(36), primary_key=True),
    Column("organization_id", String(100), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("file_name", String(300), nullable=False),
    Column("format", String(5), nullable=False),
    Column("mode", String(20), nullable=False),  # dry_run | all_or_nothing | valid_rows_only
    Column("status", String(12), nullable=False),  # validating | writing | done | failed
    Column("total_rows", Integer, nullable=False),
    Column("processed_rows", Integer, nullable=False),
    Column("created", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime()),
    Column("started_by", String(200), nullable=False),
    Column("failure", Text),
    Index("ix_imports_org_sha", "organization_id", "sha256"),
)

import_errors = Table(
    "import_errors",
    metadata,
    Column("import_id", String(36), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("row", Integer),
    Column("column", String(40)),
    Column("code", String(60), nullable=False),
    Column("fr", Text, nullable=False),
    Column("en", Text, nullable=False),
    Column("value", String(120)),
)
