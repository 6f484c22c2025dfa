"""Reporting's read models, on one ``metadata`` (the registry's tables join it).

Two kinds: what reporting learns from other services' published events — interventions (the
current version of each, and every version's fields, so a submission shows what it froze),
action plans, catalogue versions, persons and their status history, rule sets — written by
idempotent consumers; and projections of its own store — reports, their submissions (items and
findings), rejections, fiscal-year calendars — rebuildable from the events.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

from gsi_kernel.store.types import UtcDateTime
from gsi_readmodels.catalogues import catalogue_table
from gsi_readmodels.persons import person_tables

metadata = MetaData()


def _intervention_fields() -> list[Column[object]]:
    return [
        Column("organization_id", String(100), nullable=False),
        Column("quarter", String(12), nullable=False),
        Column("person_id", String(36), nullable=False),
        Column("code", String(10), nullable=False),
        Column("service_date", Date, nullable=False),
        Column("volet", String(2), nullable=False),
        Column("mode", String(20), nullable=False),
        Column("duration_minutes", Integer),
        Column("staff_member", String(200)),
        Column("target_organization", String(100)),
        Column("referral_reason", String(500)),
        Column("session_id", String(36)),
    ]


# ---- from interventions' events ------------------------------------------------------------

# The current version of each intervention (a cancelled one stays, marked, out of every count):
# what a quarter's verification reads, and the source the counting tables follow and are rebuilt
# from (ADR 31). ``person_id`` is the person as declared (what the checks and a snapshot name);
# ``counted_person_id`` the one it counts under — the surviving file once registration merged
# the declared one (ADR 17).
quarter_interventions = Table(
    "quarter_interventions",
    metadata,
    Column("intervention_id", String(36), primary_key=True),
    *_intervention_fields(),
    Column("version", Integer, nullable=False),
    Column("status", String(10), nullable=False),  # active | cancelled
    Column("counted_person_id", String(36), nullable=False),
    Column("fiscal_year", String(9), nullable=False),  # of service_date
    Column("quarter_number", SmallInteger, nullable=False),
    Index("ix_quarter_interventions_org_quarter", "organization_id", "quarter", "status"),
    Index("ix_quarter_interventions_person", "person_id"),
    # counted person last: distinct persons per organization and quarter are read from the index
    Index(
        "ix_quarter_interventions_org_year",
        "organization_id",
        "fiscal_year",
        "status",
        "quarter_number",
        "counted_person_id",
    ),
    Index("ix_quarter_interventions_year_person", "fiscal_year", "status", "counted_person_id"),
    # a person's first service of all, recomputed when one of their interventions changes
    Index("ix_quarter_interventions_counted_person", "counted_person_id", "status", "service_date"),
)

# Every declared or corrected version, never updated: what a snapshot's (id, version) names.
intervention_versions = Table(
    "intervention_versions",
    metadata,
    Column("intervention_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    *_intervention_fields(),
)

# Each action plan: its periods for check C5 (by declared person), and the plans opened that the
# counts follow (by counted person, in the cell of ``opened_on``), as interventions above.
known_action_plans = Table(
    "known_action_plans",
    metadata,
    Column("plan_id", String(36), primary_key=True),
    Column("organization_id", String(100), nullable=False),
    Column("person_id", String(36), nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("closed_on", Date),
    Column("counted_person_id", String(36), nullable=False),
    Column("fiscal_year", String(9), nullable=False),  # of opened_on
    Column("quarter_number", SmallInteger, nullable=False),
    Index("ix_known_action_plans_org_year", "organization_id", "fiscal_year", "quarter_number"),
    Index("ix_known_action_plans_counted_person", "counted_person_id", "opened_on"),
)

catalogue_versions = catalogue_table(metadata)

# ---- from registration's events -------------------------------------------------------------

PERSONS = person_tables(metadata)
known_persons = PERSONS.persons
known_person_statuses = PERSONS.statuses
published_rule_sets = PERSONS.rule_sets

# ---- projections of this service's own store --------------------------------------------------

reports = Table(
    "reports",
    metadata,
    Column("report_id", String(200), primary_key=True),
    Column("organization_id", String(100), nullable=False),
    Column("quarter", String(12), nullable=False),
    Column("state", String(20), nullable=False),
    Column("submission_version", Integer, nullable=False),
    Column("interventions_count", Integer, nullable=False),
    Column("persons_count", Integer, nullable=False),
    Column("errors", Integer, nullable=False),
    Column("warnings", Integer, nullable=False),
    Column("sha256", String(64)),
    Column("submitted_at", UtcDateTime()),
    Column("submitted_by", String(200)),
    Column("submission_due", Date),
    Column("late", Boolean, nullable=False),
    Column("control_due", Date),
    Column("taken_at", UtcDateTime()),
    Column("taken_by", String(200)),
    Column("decided_at", UtcDateTime()),
    Column("decided_by", String(200)),
    Column("override_reason", Text),
    Column("rejection_count", Integer, nullable=False),
    Column("resubmission_due", Date),
    Column("locked_at", UtcDateTime()),
    Column("locked_by", String(200)),
    Column("unlocked_at", UtcDateTime()),
    Column("unlocked_by", String(200)),
    Column("unlock_reason", Text),
    Column("verified_at", UtcDateTime()),
    Column("verified_by", String(200)),
    Column("verified_errors", Integer),
    Column("verified_warnings", Integer),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("updated_by", String(200), nullable=False),
    Index("ix_reports_org_quarter", "organization_id", "quarter", unique=True),
    Index("ix_reports_state_control_due", "state", "control_due", "submitted_at"),
    Index("ix_reports_quarter_state", "quarter", "state"),
)

report_submissions = Table(
    "report_submissions",
    metadata,
    Column("report_id", String(200), primary_key=True),
    Column("submission_version", Integer, primary_key=True),
    Column("organization_id", String(100), nullable=False),
    Column("quarter", String(12), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("interventions_count", Integer, nullable=False),
    Column("persons_count", Integer, nullable=False),
    Column("errors", Integer, nullable=False),
    Column("warnings", Integer, nullable=False),
    Column("by_check", JSON, nullable=False),
    Column("findings_truncated", Boolean, nullable=False),
    Column("catalogue_versions", JSON, nullable=False),
    Column("rule_set_versions", JSON, nullable=False),
    Column("submitted_on", Date, nullable=False),
    Column("submission_due", Date, nullable=False),
    Column("late", Boolean, nullable=False),
    Column("control_due", Date, nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("submitted_by", String(200), nullable=False),
)

submission_items = Table(
    "submission_items",
    metadata,
    Column("report_id", String(200), primary_key=True),
    Column("submission_version", Integer, primary_key=True),
    Column("intervention_id", String(36), primary_key=True),
    Column("version", Integer, nullable=False),
)

submission_findings = Table(
    "submission_findings",
    metadata,
    Column("report_id", String(200), primary_key=True),
    Column("submission_version", Integer, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("intervention_id", String(36), nullable=False),
    Column("check", String(4), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("code", String(60), nullable=False),
    Column("fr", Text, nullable=False),
    Column("en", Text, nullable=False),
    Column("details", JSON, nullable=False),
    Index("ix_submission_findings_item", "report_id", "submission_version", "intervention_id"),
)

rejections = Table(
    "rejections",
    metadata,
    Column("report_id", String(200), primary_key=True),
    Column("rejection_number", Integer, primary_key=True),
    Column("submission_version", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("failed_checks", JSON, nullable=False),
    Column("resubmission_due", Date, nullable=False),
    Column("rejected_at", UtcDateTime(), nullable=False),
    Column("rejected_by", String(200), nullable=False),
)

rejection_items = Table(
    "rejection_items",
    metadata,
    Column("report_id", String(200), primary_key=True),
    Column("rejection_number", Integer, primary_key=True),
    Column("intervention_id", String(36), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("answer", Text),
    Column("answered_at", UtcDateTime()),
    Column("answered_by", String(200)),
)

fiscal_calendars = Table(
    "fiscal_calendars",
    metadata,
    Column("fiscal_year", String(9), primary_key=True),
    Column("calendar", JSON, nullable=False),
    Column("set_at", UtcDateTime(), nullable=False),
    Column("set_by", String(200), nullable=False),
)
