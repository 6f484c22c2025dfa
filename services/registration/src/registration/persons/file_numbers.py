"""File numbers and the UCI an organization's files hold — both decided in the registering
command's transaction.

- A file number comes from one PostgreSQL sequence for every organization: ``nextval`` takes no
  lock, so concurrent registrations (of one organization or several) never wait on one another
  nor get the same number; a registration that is then refused leaves its number unused (numbers
  are unique, not gapless). A counter row per organization would have been held from the command's
  first statement to its commit, and would have serialised an organization's registrations again
  (ADR 10). On SQLite, where writers are serialised anyway, a counter row.
- The UCI claim: one row per (organization, UCI hash). A second registration of the same UCI in
  the organization finds it — or, when both run at once, waits on the first's insert and finds
  it once the first commits (``ON CONFLICT DO NOTHING``: no error, nothing inserted).
- Files registered before numbering: :class:`FileNumbering` numbers them (a worker), each with a
  ``FileNumberAssigned`` event that registration publishes like the number of a new file.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, delete, select, update

from gsi_kernel.envelope import CommandContext
from gsi_kernel.errors import NotFound
from gsi_kernel.store.backend import backend_of
from gsi_kernel.store.database import Database
from gsi_kernel.writer import StreamWriter
from registration.duplicates.domain import ExistingFile
from registration.persons import domain as person
from registration.tables import file_number_counter, file_number_sequence, persons, uci_claims

log = logging.getLogger(__name__)

ACTOR = "system:file-numbering"


def next_file_number(connection: Connection) -> int:
    return backend_of(connection).next_number(
        connection, file_number_sequence, file_number_counter, "persons"
    )


def uci_holder(connection: Connection, organization_id: str, uci_hash: str) -> ExistingFile | None:
    """The organization's file that holds this UCI, if any."""
    row = connection.execute(
        select(uci_claims.c.person_id, uci_claims.c.file_number).where(
            uci_claims.c.organization_id == organization_id, uci_claims.c.uci_hash == uci_hash
        )
    ).first()
    if row is None:
        return None
    number = row.file_number
    if number is None:  # claimed before files were numbered: the read model may know it by now
        number = connection.execute(
            select(persons.c.file_number).where(persons.c.person_id == row.person_id)
        ).scalar()
    return ExistingFile(row.person_id, number)


def claim_uci(
    connection: Connection, organization_id: str, uci_hash: str, person_id: str, file_number: int
) -> ExistingFile | None:
    """Claim the UCI for the new file; the file that already holds it if another does."""
    inserted = connection.execute(
        backend_of(connection)
        .insert(uci_claims)
        .values(
            organization_id=organization_id, uci_hash=uci_hash, person_id=person_id, file_number=file_number
        )
        .on_conflict_do_nothing()
        .returning(uci_claims.c.person_id)  # no row: not inserted (rowcount says -1 on psycopg here)
    ).first()
    return None if inserted is not None else uci_holder(connection, organization_id, uci_hash)


def release_uci(connection: Connection, person_id: str) -> None:
    """An erased file holds no UCI any more (its hash would still tie it to the person)."""
    connection.execute(delete(uci_claims).where(uci_claims.c.person_id == person_id))


class FileNumbering:
    """A worker that numbers the files registered before files were numbered, oldest first, a
    batch per step; once there are none left, a step is one indexed look."""

    def __init__(self, *, db: Database, writer: StreamWriter, batch: int = 200) -> None:
        self._db = db
        self._writer = writer
        self._batch = batch

    def run_once(self) -> int:
        with self._db.transaction() as connection:
            unnumbered = connection.execute(
                select(persons.c.person_id, persons.c.organization_id)
                .where(persons.c.file_number.is_(None))
                .order_by(persons.c.registered_at, persons.c.person_id)
                .limit(self._batch)
            ).all()
        written = 0
        for person_id, organization_id in unnumbered:
            context = CommandContext.new(ACTOR, organization_id)  # the file's organization, as published
            try:
                written += self._number(person_id, context)
            except NotFound:  # a read-model row with no stream behind it: nothing to number
                log.warning("file numbering: no events for person %s; left unnumbered", person_id)
        return written  # 0 when the read model lags behind numbers already given: rest a while

    def _number(self, person_id: str, context: CommandContext) -> int:
        with self._db.transaction() as connection:
            number = next_file_number(connection)
            recorded = self._writer.execute(
                f"person-{person_id}",
                lambda history: person.assign_file_number(history, number),
                context,
                connection=connection,
            ).events
            if recorded:
                connection.execute(
                    update(uci_claims).where(uci_claims.c.person_id == person_id).values(file_number=number)
                )
        return len(recorded)

    def close(self) -> None:
        """Nothing held between steps."""
