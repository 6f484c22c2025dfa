"""The inbox keeps each notice's data, so that it shows the notice's content (rendered in both
languages from the e-mail templates) and its link; filled from the notices' events for the
notices already in the inbox (a notice's id is its event's).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("inbox", sa.Column("data", sa.JSON))
    data = (
        "e.payload -> 'data'"
        if op.get_bind().dialect.name == "postgresql"
        else "json_extract(e.payload, '$.data')"
    )
    op.execute(f"UPDATE inbox SET data = (SELECT {data} FROM events e WHERE e.event_id = inbox.notice_id)")


def downgrade() -> None:
    op.drop_column("inbox", "data")
