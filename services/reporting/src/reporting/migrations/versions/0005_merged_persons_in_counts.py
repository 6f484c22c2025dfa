"""What reporting counted under a merged person's file counts under the surviving person.

Until this revision the performance projection kept a merged file's interventions and plans
under the merged id, so a person served under two files counted twice in the organization's
targets and the program's figures. The projection now follows merges; this moves what was kept
before (following chains of merges, as the projection does), then fills the counting tables
afresh with the statements of revision 0003, the same on PostgreSQL and SQLite.

Revision ID: 0005
Revises: 0004
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_MERGE_HOPS = 5  # as the projection: merges chain rarely

_REKEY = """
UPDATE {table}
SET person_id = (SELECT k.merged_into FROM known_persons k WHERE k.person_id = {table}.person_id)
WHERE person_id IN (SELECT person_id FROM known_persons WHERE merged_into IS NOT NULL)
"""


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
    for _ in range(_MERGE_HOPS):
        for table in ("perf_interventions", "perf_action_plans"):
            op.execute(sa.text(_REKEY.format(table=table)))
    for table in ("perf_presence", "perf_counts", "perf_first_services"):
        op.execute(sa.text(f"DELETE FROM {table}"))
    for statement in _fill_of_0003():
        op.execute(sa.text(statement))


def downgrade() -> None:
    """Nothing to undo: the rows stay under the surviving persons (the earlier code counts them
    there as well)."""
