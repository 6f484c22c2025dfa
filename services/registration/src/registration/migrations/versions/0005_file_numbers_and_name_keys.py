"""File numbers, the UCI each organization's files hold, and name keys that ignore punctuation.

- ``persons.file_number`` (unique within the organization), the number sequence (PostgreSQL)
  or counter (SQLite), and ``uci_claims`` filled from the persons already registered (the oldest
  file of a UCI in an organization holds it). Files registered before this revision are numbered
  by the ``file-numbering`` worker once the service runs (a ``FileNumberAssigned`` event each).
- The search keys and duplicate keys of the persons already registered are computed again with
  the normalization of ``registration.persons.names`` (punctuation and spacing no longer count), so
  an upgraded database finds them as it finds new ones. Erased persons have no names left, hence
  no keys. (A later change of that normalization needs a migration like this one, or a
  ``rebuild registration.persons``.)

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

from registration.persons.names import name_key, normalize, search_keys

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_CHUNK = 1000


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column("persons", sa.Column("file_number", sa.Integer))
    op.create_index("uq_persons_file_number", "persons", ["organization_id", "file_number"], unique=True)
    op.create_index("ix_persons_file_number", "persons", ["file_number"])
    op.create_index(
        "ix_persons_unnumbered",
        "persons",
        ["registered_at"],
        postgresql_where=sa.text("file_number IS NULL"),
        sqlite_where=sa.text("file_number IS NULL"),
    )
    # Numbers already in the events (a database downgraded, then upgraded again) are not given
    # twice: numbering goes on after the highest.
    start = _highest_number_in_events(bind) + 1
    if bind.dialect.name == "postgresql":
        op.execute(f"CREATE SEQUENCE person_file_numbers START WITH {start}")
    else:
        counter = op.create_table(
            "file_number_counter",
            sa.Column("name", sa.String(40), primary_key=True),
            sa.Column("last_number", sa.Integer, nullable=False),
        )
        if start > 1:
            op.bulk_insert(counter, [{"name": "persons", "last_number": start - 1}])
    op.create_table(
        "uci_claims",
        sa.Column("organization_id", sa.String(100), primary_key=True),
        sa.Column("uci_hash", sa.String(64), primary_key=True),
        sa.Column("person_id", sa.String(36), nullable=False),
        sa.Column("file_number", sa.Integer),
    )
    op.create_index("ix_uci_claims_person_id", "uci_claims", ["person_id"])
    _claim_existing_ucis(bind)
    _recompute_name_keys(bind)


def downgrade() -> None:
    op.drop_index("ix_uci_claims_person_id", "uci_claims")
    op.drop_table("uci_claims")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE person_file_numbers")
    else:
        op.drop_table("file_number_counter")
    op.drop_index("ix_persons_unnumbered", "persons")
    op.drop_index("ix_persons_file_number", "persons")
    op.drop_index("uq_persons_file_number", "persons")
    op.drop_column("persons", "file_number")
    # The name keys stay as this revision computed them: `rebuild registration.persons` after
    # downgrading the code computes them as that code does.


def _persons() -> sa.TableClause:
    return sa.table(
        "persons",
        *(
            sa.column(name)
            for name in (
                "person_id", "organization_id", "family_name", "given_name", "name_key", "family_norm",
                "given_norm", "uci_hash", "registered_at", "erased", "merged_into",
            )
        ),
    )  # fmt: skip


def _highest_number_in_events(bind: sa.Connection) -> int:
    number = (
        "(payload->>'file_number')::int"
        if bind.dialect.name == "postgresql"
        else "json_extract(payload, '$.file_number')"
    )
    highest = bind.execute(
        sa.text(f"SELECT max({number}) FROM events WHERE type IN ('PersonRegistered', 'FileNumberAssigned')")
    ).scalar()
    return int(highest or 0)


def _claim_existing_ucis(bind: sa.Connection) -> None:
    p = _persons().c
    rows = bind.execute(
        sa.select(p.organization_id, p.uci_hash, p.person_id)
        .where(p.uci_hash.is_not(None), p.erased.is_(False), p.merged_into.is_(None))
        .order_by(p.registered_at, p.person_id)
    )
    claims: dict[tuple[str, str], str] = {}
    for organization_id, uci_hash, person_id in rows:
        claims.setdefault((organization_id, uci_hash), person_id)  # the oldest file holds it
    claimed = sa.table(
        "uci_claims", sa.column("organization_id"), sa.column("uci_hash"), sa.column("person_id")
    )
    values = [{"organization_id": o, "uci_hash": u, "person_id": pid} for (o, u), pid in claims.items()]
    for chunk in _chunks(values):
        bind.execute(sa.insert(claimed), chunk)


def _recompute_name_keys(bind: sa.Connection) -> None:
    persons = _persons()
    p = persons.c
    tokens = sa.table(
        "name_tokens",
        *(
            sa.column(n)
            for n in ("token", "person_id", "organization_id", "family_norm", "given_norm", "registered_at")
        ),
    )
    bind.execute(sa.delete(tokens))
    named = bind.execute(
        sa.select(p.person_id, p.organization_id, p.family_name, p.given_name, p.registered_at).where(
            p.erased.is_(False), p.family_name.is_not(None), p.given_name.is_not(None)
        )
    ).all()
    keys: list[dict[str, Any]] = []
    new_tokens: list[dict[str, Any]] = []
    for person_id, organization_id, family, given, registered_at in named:
        family_norm, given_norm = normalize(family), normalize(given)
        keys.append(
            {"pid": person_id, "key": name_key(family, given), "family": family_norm, "given": given_norm}
        )
        if family_norm and given_norm:
            new_tokens += [
                {
                    "token": token,
                    "person_id": person_id,
                    "organization_id": organization_id,
                    "family_norm": family_norm,
                    "given_norm": given_norm,
                    "registered_at": registered_at,
                }
                for token in search_keys(family, given)
            ]
    update = (
        sa.update(persons)
        .where(p.person_id == sa.bindparam("pid"))
        .values(
            name_key=sa.bindparam("key"), family_norm=sa.bindparam("family"), given_norm=sa.bindparam("given")
        )
    )
    for chunk in _chunks(keys):
        bind.execute(update, chunk)
    for chunk in _chunks(new_tokens):
        bind.execute(sa.insert(tokens), chunk)


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), _CHUNK):
        yield rows[start : start + _CHUNK]
