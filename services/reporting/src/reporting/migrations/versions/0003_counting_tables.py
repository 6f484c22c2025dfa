"""Counting tables for the program indicators (presence of each person in each cell, each cell's
counts, each person's first service and arrival), filled from the interventions, plans and
persons already known; the regionalization follow-ups and checkpoints (12-month retention).

The fill is the projection's rebuild as it stood at this revision, in plain SQL (PostgreSQL and
SQLite alike), so this migration does not change when the projection's code does.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_FILL = [
    # presences: (quarter, organization), (year, organization), (quarter, program), (year, program)
    """INSERT INTO perf_presence (person_id, fiscal_year, quarter_number, organization_id, interventions,
                                  has_plan, region)
       SELECT person_id, fiscal_year, quarter_number, organization_id, count(*), FALSE, ''
       FROM perf_interventions WHERE status = 'active'
       GROUP BY person_id, fiscal_year, quarter_number, organization_id""",
    """INSERT INTO perf_presence (person_id, fiscal_year, quarter_number, organization_id, interventions,
                                  has_plan, region)
       SELECT person_id, fiscal_year, 0, organization_id, count(*), FALSE, ''
       FROM perf_interventions WHERE status = 'active' GROUP BY person_id, fiscal_year, organization_id""",
    """INSERT INTO perf_presence (person_id, fiscal_year, quarter_number, organization_id, interventions,
                                  has_plan, region)
       SELECT person_id, fiscal_year, quarter_number, '', count(*), FALSE, ''
       FROM perf_interventions WHERE status = 'active' GROUP BY person_id, fiscal_year, quarter_number""",
    """INSERT INTO perf_presence (person_id, fiscal_year, quarter_number, organization_id, interventions,
                                  has_plan, region)
       SELECT person_id, fiscal_year, 0, '', count(*), FALSE, ''
       FROM perf_interventions WHERE status = 'active' GROUP BY person_id, fiscal_year""",
    """UPDATE perf_presence
       SET has_plan = EXISTS (SELECT 1 FROM perf_action_plans p
                              WHERE p.person_id = perf_presence.person_id
                                AND p.fiscal_year <= perf_presence.fiscal_year),
           region = coalesce((SELECT k.region FROM known_persons k
                              WHERE k.person_id = perf_presence.person_id), '')
       WHERE quarter_number = 0 AND organization_id = ''""",
    # counts
    """INSERT INTO perf_counts (fiscal_year, quarter_number, organization_id, measure, code, value)
       SELECT fiscal_year, quarter_number, organization_id, 'persons', '', count(*)
       FROM perf_presence GROUP BY fiscal_year, quarter_number, organization_id""",
    """INSERT INTO perf_counts (fiscal_year, quarter_number, organization_id, measure, code, value)
       SELECT fiscal_year, 0, '', 'persons_with_plan', '', count(*) FROM perf_presence
       WHERE quarter_number = 0 AND organization_id = '' AND has_plan GROUP BY fiscal_year""",
    """INSERT INTO perf_counts (fiscal_year, quarter_number, organization_id, measure, code, value)
       SELECT fiscal_year, 0, '', 'persons_by_region', region, count(*) FROM perf_presence
       WHERE quarter_number = 0 AND organization_id = '' GROUP BY fiscal_year, region""",
    """INSERT INTO perf_counts (fiscal_year, quarter_number, organization_id, measure, code, value)
       SELECT fiscal_year, quarter_number, organization_id, 'interventions', code, count(*)
       FROM perf_interventions WHERE status = 'active'
       GROUP BY fiscal_year, quarter_number, organization_id, code""",
    """INSERT INTO perf_counts (fiscal_year, quarter_number, organization_id, measure, code, value)
       SELECT fiscal_year, quarter_number, organization_id, 'action_plans', '', count(*)
       FROM perf_action_plans GROUP BY fiscal_year, quarter_number, organization_id""",
    # first services (the fiscal year grows with the date: the first day's is the smallest)
    """INSERT INTO perf_first_services (person_id, first_on, fiscal_year, arrived_on)
       SELECT i.person_id, min(i.service_date), min(i.fiscal_year),
              (SELECT min(s.admission_date) FROM known_person_statuses s WHERE s.person_id = i.person_id)
       FROM perf_interventions i WHERE i.status = 'active' GROUP BY i.person_id""",
]


def upgrade() -> None:
    op.create_index(
        "ix_perf_interventions_person", "perf_interventions", ["person_id", "status", "service_date"]
    )
    _counting_tables()
    _regionalization()
    for statement in _FILL:
        op.execute(sa.text(statement))


def _counting_tables() -> None:
    op.create_table(
        "perf_presence",
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("fiscal_year", sa.String(9), primary_key=True),
        sa.Column("quarter_number", sa.SmallInteger, primary_key=True),
        sa.Column("organization_id", sa.String(100), primary_key=True),
        sa.Column("interventions", sa.Integer, nullable=False),
        sa.Column("has_plan", sa.Boolean, nullable=False),
        sa.Column("region", sa.String(2), nullable=False),
    )
    op.create_table(
        "perf_counts",
        sa.Column("fiscal_year", sa.String(9), primary_key=True),
        sa.Column("quarter_number", sa.SmallInteger, primary_key=True),
        sa.Column("organization_id", sa.String(100), primary_key=True),
        sa.Column("measure", sa.String(20), primary_key=True),
        sa.Column("code", sa.String(10), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )
    op.create_table(
        "perf_first_services",
        sa.Column("person_id", sa.String(36), primary_key=True),
        sa.Column("first_on", sa.Date, nullable=False),
        sa.Column("fiscal_year", sa.String(9), nullable=False),
        sa.Column("arrived_on", sa.Date),
    )
    op.create_index(
        "ix_perf_first_services_year", "perf_first_services", ["fiscal_year", "arrived_on", "first_on"]
    )


def _regionalization() -> None:
    op.create_table(
        "regionalization_follow_ups",
        sa.Column("follow_up_id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("organization_id", sa.String(100), nullable=False),
        sa.Column("destination_region", sa.String(2), nullable=False),
        sa.Column("opened_on", sa.Date, nullable=False),
        sa.Column("retention_due", sa.Date),
        sa.Column("retention_fiscal_year", sa.String(9)),
    )
    op.create_index(
        "ix_regionalization_follow_ups_year", "regionalization_follow_ups", ["retention_fiscal_year"]
    )
    op.create_table(
        "regionalization_checkpoints",
        sa.Column("follow_up_id", sa.String(36), primary_key=True),
        sa.Column("months", sa.SmallInteger, primary_key=True),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("recorded_on", sa.Date, nullable=False),
    )


def downgrade() -> None:
    op.drop_index("ix_regionalization_follow_ups_year", table_name="regionalization_follow_ups")
    op.drop_index("ix_perf_first_services_year", table_name="perf_first_services")
    for table in (
        "regionalization_checkpoints",
        "regionalization_follow_ups",
        "perf_first_services",
        "perf_counts",
        "perf_presence",
    ):
        op.drop_table(table)
    op.drop_index("ix_perf_interventions_person", table_name="perf_interventions")
