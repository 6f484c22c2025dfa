"""What the performance dashboards and the program indicators read, kept from interventions' and
registration's published events (:mod:`reporting.knowledge.interventions`,
:mod:`reporting.retention.projection`, :mod:`reporting.knowledge.persons`):

- the counting tables (:mod:`reporting.counting.domain`), which follow ``quarter_interventions``
  and ``known_action_plans`` (the current state of each intervention and plan,
  :mod:`reporting.tables`) and are rebuilt from them (:func:`reporting.counting.rebuild.rebuild`):
  ``perf_presence``, a person's number of
  active interventions in each cell, and ``perf_counts``, each cell's counts — so that a
  program-wide figure reads a few thousand counters instead of a year of interventions;
- ``perf_first_services``, each person's first service of all and arrival day;
- the regionalization follow-ups and their checkpoints, for the 12-month regional retention.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, Index, Integer, SmallInteger, String, Table

from reporting.tables import metadata

# A row while the person has active interventions in the cell; person first, so every change of
# one person (a plan, a region) finds their rows on the key.
perf_presence = Table(
    "perf_presence",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("fiscal_year", String(9), primary_key=True),
    Column("quarter_number", SmallInteger, primary_key=True),  # 0: the whole year
    Column("organization_id", String(100), primary_key=True),  # '': program-wide
    Column("interventions", Integer, nullable=False),  # active ones in the cell, > 0
    # Program-wide year rows only (False and '' elsewhere): what that row counted the person in.
    Column("has_plan", Boolean, nullable=False),
    Column("region", String(2), nullable=False),  # '': unknown
)

perf_counts = Table(
    "perf_counts",
    metadata,
    Column("fiscal_year", String(9), primary_key=True),
    Column("quarter_number", SmallInteger, primary_key=True),  # 0: the whole year
    Column("organization_id", String(100), primary_key=True),  # '': program-wide
    Column("measure", String(20), primary_key=True),
    Column("code", String(10), primary_key=True),  # an intervention code, a region, or ''
    Column("value", Integer, nullable=False),  # never 0: a count falling to 0 is deleted
)

perf_first_services = Table(
    "perf_first_services",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("first_on", Date, nullable=False),  # the person's first active service of all
    Column("fiscal_year", String(9), nullable=False),  # of first_on
    Column("arrived_on", Date),  # the earliest admission date registration gave
    # the year's (arrival, first service) pairs are read from the index alone
    Index("ix_perf_first_services_year", "fiscal_year", "arrived_on", "first_on"),
)

regionalization_follow_ups = Table(
    "regionalization_follow_ups",
    metadata,
    Column("follow_up_id", String(36), primary_key=True),
    Column("person_id", String(36), nullable=False),
    Column("organization_id", String(100), nullable=False),
    Column("destination_region", String(2), nullable=False),
    Column("opened_on", Date, nullable=False),
    # The 12-month checkpoint's due day and its fiscal year (none when it is not planned).
    Column("retention_due", Date),
    Column("retention_fiscal_year", String(9)),
    Index("ix_regionalization_follow_ups_year", "retention_fiscal_year"),
)

regionalization_checkpoints = Table(
    "regionalization_checkpoints",
    metadata,
    Column("follow_up_id", String(36), primary_key=True),
    Column("months", SmallInteger, primary_key=True),
    Column("outcome", String(10), nullable=False),  # stayed | moved | unknown
    Column("recorded_on", Date, nullable=False),
)
