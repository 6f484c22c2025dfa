"""Reporting's read models of interventions merged (ADR 31): one table of current interventions,
one of action plans, kept by the one ``reporting.interventions`` consumer.

``quarter_interventions`` and ``known_action_plans`` gain what ``perf_interventions`` and
``perf_action_plans`` held besides — the person each counts under (the survivor of a merge), the
fiscal year and quarter number of its cell — and those two tables go. Their rows are carried over,
not replayed: reporting cannot read interventions' topic again from its own store, and the
topic's retention does not promise the whole history. Each row of ``quarter_interventions`` keeps
its fields and version (what the kept consumer has applied) and takes its counted person from
``perf_interventions`` (else from the merges known); a plan only ``perf_action_plans`` knew is
carried too. The counting tables are then filled afresh from the merged tables with the
statements of revision 0003, so they add up to what the consumer goes on from. The bookkeeping of
the ``reporting.performance`` consumer, which no longer exists, goes.

Revision ID: 0009
Revises: 0008
"""

import importlib.util
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_MERGE_HOPS = 5  # as the projection: merges chain rarely
_COUNTED = (
    ("counted_person_id", sa.String(36)),
    ("fiscal_year", sa.String(9)),
    ("quarter_number", sa.SmallInteger()),
)

_REKEY = """
UPDATE {table}
SET counted_person_id = (SELECT k.merged_into FROM known_persons k
                         WHERE k.person_id = {table}.counted_person_id)
WHERE counted_person_id IN (SELECT person_id FROM known_persons WHERE merged_into IS NOT NULL)
"""

_CARRY = [
    # the counted person as the performance consumer kept it, else the declared one (rekeyed below)
    """UPDATE quarter_interventions
       SET counted_person_id = coalesce((SELECT p.person_id FROM perf_interventions p
                                         WHERE p.intervention_id = quarter_interventions.intervention_id),
                                        person_id),
           fiscal_year = substr(quarter, 1, 9),
           quarter_number = CAST(substr(quarter, 12, 1) AS SMALLINT)""",
    """INSERT INTO known_action_plans (plan_id, organization_id, person_id, opened_on, closed_on)
       SELECT p.plan_id, p.organization_id, p.person_id, p.opened_on, NULL FROM perf_action_plans p
       WHERE NOT EXISTS (SELECT 1 FROM known_action_plans k WHERE k.plan_id = p.plan_id)""",
    """UPDATE known_action_plans
       SET counted_person_id = coalesce((SELECT p.person_id FROM perf_action_plans p
                                         WHERE p.plan_id = known_action_plans.plan_id), person_id)""",
]

# The merged state, as the two performance tables held it: what revision 0003's statements fill
# the counting tables from (and what a downgrade brings back).
_AS_PERF_TABLES = [
    """INSERT INTO perf_interventions (intervention_id, organization_id, person_id, code, service_date,
                                       fiscal_year, quarter_number, status, version)
       SELECT intervention_id, organization_id, counted_person_id, code, service_date, fiscal_year,
              quarter_number, status, version FROM quarter_interventions""",
    """INSERT INTO perf_action_plans (plan_id, organization_id, person_id, opened_on, fiscal_year,
                                      quarter_number)
       SELECT plan_id, organization_id, counted_person_id, opened_on, fiscal_year, quarter_number
       FROM known_action_plans""",
]
_EMPTIED = ("perf_interventions", "perf_action_plans", "perf_presence", "perf_counts", "perf_first_services")


def _fill_of_0003() -> list[str]:
    spec = importlib.util.spec_from_file_location(
        "reporting_0003", Path(__file__).with_name("0003_counting_tables.py")
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module._FILL)


def upgrade() -> None:
    for table in ("quarter_interventions", "known_action_plans"):
        for name, type_ in _COUNTED:
            op.add_column(table, sa.Column(name, type_, nullable=True))
    for statement in _CARRY:
        op.execute(sa.text(statement))
    _plan_cells()
    for _ in range(_MERGE_HOPS):
        for table in ("quarter_interventions", "known_action_plans"):
            op.execute(sa.text(_REKEY.format(table=table)))
    for table in ("quarter_interventions", "known_action_plans"):
        with op.batch_alter_table(table) as batch:
            for name, type_ in _COUNTED:
                batch.alter_column(name, existing_type=type_, nullable=False)
    statements = [f"DELETE FROM {table}" for table in _EMPTIED] + _AS_PERF_TABLES + _fill_of_0003()
    for statement in statements:
        op.execute(sa.text(statement))
    op.execute(sa.text("DELETE FROM processed WHERE consumer = 'reporting.performance'"))
    _indexes()
    op.drop_index("ix_perf_action_plans_org_year", table_name="perf_action_plans")
    op.drop_index("ix_perf_action_plans_person", table_name="perf_action_plans")
    op.drop_table("perf_action_plans")
    op.drop_index("ix_perf_interventions_org_year", table_name="perf_interventions")
    op.drop_index("ix_perf_interventions_person", table_name="perf_interventions")
    op.drop_index("ix_perf_interventions_year_person", table_name="perf_interventions")
    op.drop_table("perf_interventions")


def _plan_cells() -> None:
    """Each plan's fiscal year (from April 1) and quarter number, from its opening day."""
    connection = op.get_bind()
    plans = connection.execute(sa.text("SELECT plan_id, opened_on FROM known_action_plans")).all()
    for plan_id, opened_on in plans:
        day = opened_on if isinstance(opened_on, date) else date.fromisoformat(str(opened_on))
        start = day.year if day.month >= 4 else day.year - 1
        connection.execute(
            sa.text(
                "UPDATE known_action_plans SET fiscal_year = :fy, quarter_number = :q WHERE plan_id = :id"
            ),
            {"fy": f"{start}-{start + 1}", "q": (day.month - 4) % 12 // 3 + 1, "id": plan_id},
        )


def _indexes() -> None:
    op.drop_index("ix_known_action_plans_organization_id", table_name="known_action_plans")
    op.create_index(
        "ix_known_action_plans_counted_person", "known_action_plans", ["counted_person_id", "opened_on"]
    )
    op.create_index(
        "ix_known_action_plans_org_year",
        "known_action_plans",
        ["organization_id", "fiscal_year", "quarter_number"],
    )
    op.create_index(
        "ix_quarter_interventions_counted_person",
        "quarter_interventions",
        ["counted_person_id", "status", "service_date"],
    )
    op.create_index(
        "ix_quarter_interventions_org_year",
        "quarter_interventions",
        ["organization_id", "fiscal_year", "status", "quarter_number", "counted_person_id"],
    )
    op.create_index(
        "ix_quarter_interventions_year_person",
        "quarter_interventions",
        ["fiscal_year", "status", "counted_person_id"],
    )


def downgrade() -> None:
    """The two performance tables again, filled from the merged ones (the counting tables were
    filled from the same state, so they stay)."""
    _perf_tables()
    for statement in _AS_PERF_TABLES:
        op.execute(sa.text(statement))
    op.drop_index("ix_quarter_interventions_year_person", table_name="quarter_interventions")
    op.drop_index("ix_quarter_interventions_org_year", table_name="quarter_interventions")
    op.drop_index("ix_quarter_interventions_counted_person", table_name="quarter_interventions")
    op.drop_index("ix_known_action_plans_org_year", table_name="known_action_plans")
    op.drop_index("ix_known_action_plans_counted_person", table_name="known_action_plans")
    op.create_index("ix_known_action_plans_organization_id", "known_action_plans", ["organization_id"])
    for table in ("quarter_interventions", "known_action_plans"):
        with op.batch_alter_table(table) as batch:
            for name, _ in reversed(_COUNTED):
                batch.drop_column(name)


def _perf_tables() -> None:
    op.create_table(
        "perf_interventions",
        sa.Column("intervention_id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("code", sa.String(10), nullable=False),
        sa.Column("service_date", sa.Date, nullable=False),
        sa.Column("fiscal_year", sa.String(9), nullable=False),
        sa.Column("quarter_number", sa.SmallInteger, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index(
        "ix_perf_interventions_org_year",
        "perf_interventions",
        ["organization_id", "fiscal_year", "status", "quarter_number", "person_id"],
    )
    op.create_index(
        "ix_perf_interventions_year_person", "perf_interventions", ["fiscal_year", "status", "person_id"]
    )
    op.create_index(
        "ix_perf_interventions_person", "perf_interventions", ["person_id", "status", "service_date"]
    )
    op.create_table(
        "perf_action_plans",
        sa.Column("plan_id", sa.String(36), primary_key=True),
        sa.Column("organization_id", sa.String(100), nullable=False),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("opened_on", sa.Date, nullable=False),
        sa.Column("fiscal_year", sa.String(9), nullable=False),
        sa.Column("quarter_number", sa.SmallInteger, nullable=False),
    )
    op.create_index(
        "ix_perf_action_plans_org_year",
        "perf_action_plans",
        ["organization_id", "fiscal_year", "quarter_number"],
    )
    op.create_index("ix_perf_action_plans_person", "perf_action_plans", ["person_id", "opened_on"])
