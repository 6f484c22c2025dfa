"""Purging what deleted rows leave in the database's files (Loi 25 erasure, ADR 19).

Deleting or updating a row does not take its old bytes off the disk. PostgreSQL keeps the old
version as a dead tuple; VACUUM then marks its space reusable but does not overwrite it, in
the table nor in its indexes. SQLite keeps the old page in its WAL until a checkpoint and, by
default, leaves a freed cell's bytes in the page. After an erasure, a read model's plaintext
(names, search keys) and the person's wrapped key would stay readable to anyone with a copy
of the files. A purge removes them:

- **SQLite**: every connection runs with ``secure_delete`` (:mod:`gsi_kernel.store.database`),
  so freed bytes are zeroed as they are freed; the purge checkpoints the WAL into the database
  and truncates it, which takes the pages written before the erasure off the disk.
- **PostgreSQL**: the purge waits until no transaction of the database can still see the old
  versions (a snapshot taken before the erasure committed keeps them alive, and a rewrite would
  copy them), then rewrites the tables with ``VACUUM (FULL, ANALYZE)``: new files holding the
  live rows only, the old ones truncated when it commits, and statistics sampled again (they
  hold sampled column values).

A purge is *owed* from the transaction that removed the data (:func:`owe`) and paid after it
committed (:meth:`Purge.pay`). A purge that could not run (a transaction holding the horizon
back, the table lock not granted in time, a crash in between) stays owed: the next call pays it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Table, text, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from gsi_kernel.clock import Clock
from gsi_kernel.store.database import Database
from gsi_kernel.store.tables import checkpoints
from gsi_kernel.store.tracking import ensure_checkpoint, read_checkpoint, write_checkpoint

log = logging.getLogger(__name__)

LOCK_NOT_AVAILABLE = "55P03"

# The oldest transaction ids that still hold old row versions visible: every session's snapshot
# and transaction (of this database, or of none: WAL senders), replication slots, prepared
# transactions. ``age()`` compares them with the reference (xid has no ``<``; ages do).
_HELD_BACK = text(
    """
    SELECT count(*) FROM (
        SELECT backend_xmin AS held FROM pg_stat_activity
         WHERE pid <> pg_backend_pid() AND (datname = current_database() OR datname IS NULL)
        UNION ALL
        SELECT backend_xid FROM pg_stat_activity
         WHERE pid <> pg_backend_pid() AND (datname = current_database() OR datname IS NULL)
        UNION ALL
        SELECT xmin FROM pg_replication_slots WHERE database IS NULL OR database = current_database()
        UNION ALL
        SELECT transaction FROM pg_prepared_xacts WHERE database = current_database()
    ) AS horizon
    WHERE held IS NOT NULL AND age(held) > age(CAST(:reference AS xid))
    """
)
_NEXT_XID = text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")
# Who may VACUUM a table: its owner (or a member of it), the database's owner, a superuser
# (pg_has_role is true for one). VACUUM skips any other table with a mere WARNING: check first.
_DATABASE_OWNER = "(SELECT datdba FROM pg_database WHERE datname = current_database())"
_NOT_VACUUMABLE = text(
    f"""
    SELECT c.relname FROM pg_class c
     WHERE c.oid = ANY(CAST(:tables AS regclass[]))
       AND NOT pg_has_role(c.relowner, 'USAGE') AND NOT pg_has_role({_DATABASE_OWNER}, 'USAGE')
    """
)
_MAY_REWRITE_STATISTICS = text(f"SELECT pg_has_role({_DATABASE_OWNER}, 'USAGE')")  # a catalog


class PurgeRefused(RuntimeError):
    """The database role may not rewrite the tables (it must own them): an operator's fix."""


def owe(connection: Connection, name: str, now: datetime) -> None:
    """Record, in the transaction that removes personal data from ``name``'s tables, that their
    files owe a purge (paid by :meth:`Purge.pay` once this transaction has committed)."""
    owed = f"{name}.owed"
    moved = connection.execute(
        update(checkpoints)
        .where(checkpoints.c.name == owed)
        .values(position=checkpoints.c.position + 1, updated_at=now)
    )
    if not moved.rowcount:
        ensure_checkpoint(connection, owed, now)
        write_checkpoint(connection, owed, 1, now)


class Purge:
    """Pays the purge ``name``'s tables owe: see the module's documentation."""

    def __init__(
        self,
        db: Database,
        name: str,
        tables: Sequence[Table],
        clock: Clock,
        *,
        horizon_wait_s: float = 15.0,
        lock_timeout_s: float = 2.0,
    ) -> None:
        self._db = db
        self._name = name
        self._tables = tuple(tables)
        self._clock = clock
        self._horizon_wait_s = horizon_wait_s
        self._lock_timeout_s = lock_timeout_s
        self._paying = threading.Lock()  # one purge at a time in this process

    def owed(self) -> bool:
        with self._db.transaction() as connection:
            owed, paid = self._counts(connection)
        return owed > paid

    def pay(self) -> bool:
        """Run the purge if one is owed. True when nothing is owed any more; False when it
        could not run now (logged; still owed, for the next call)."""
        with self._paying:
            with self._db.transaction() as connection:
                owed, paid = self._counts(connection)
            if owed <= paid:
                return True
            try:
                done = self._rewrite() if self._db.backend.purge_rewrites else self._checkpoint_wal()
            except (PurgeRefused, SQLAlchemyError):  # the erasure has committed: retried later
                log.exception("purge of %s failed; it stays owed", self._name)
                return False
            if done:
                with self._db.transaction() as connection:
                    ensure_checkpoint(connection, f"{self._name}.paid", self._clock.now())
                    paid_now = max(owed, read_checkpoint(connection, f"{self._name}.paid", for_update=True))
                    write_checkpoint(connection, f"{self._name}.paid", paid_now, self._clock.now())
            return done

    def _counts(self, connection: Connection) -> tuple[int, int]:
        return (
            read_checkpoint(connection, f"{self._name}.owed"),
            read_checkpoint(connection, f"{self._name}.paid"),
        )

    def _checkpoint_wal(self) -> bool:
        """Copy the WAL into the database and truncate it (the pages it held, names included,
        leave the disk). The raw connection: no transaction may be open around a checkpoint."""
        raw = self._db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            row = cursor.fetchone()  # (busy, the WAL's frames, how many were copied)
            cursor.close()
        finally:
            raw.close()
        busy = row is None or bool(row[0])
        if busy:
            log.warning("purge of %s: the WAL is in use; it stays owed", self._name)
        return not busy

    def _rewrite(self) -> bool:
        """Rewrite the tables once the horizon has passed the erasure, then the statistics
        their ANALYZE superseded (VACUUM cannot run inside a transaction: autocommit)."""
        names = [self._qualified(t) for t in self._tables]
        with self._db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            refused = connection.execute(_NOT_VACUUMABLE, {"tables": names}).scalars().all()
            if refused:
                raise PurgeRefused(f"this database role may not rewrite {sorted(refused)}: it must own them")
            if not (
                self._wait_for_horizon(connection)
                and self._vacuum(connection, f"VACUUM (FULL, ANALYZE) {', '.join(names)}")
            ):
                return False
            # Statistics sample column values (histogram bounds, most common values): the rows
            # ANALYZE just replaced may hold an erased name. Only the database's owner (or a
            # superuser) may rewrite that catalog; otherwise the operator does (ADR 19).
            if not connection.execute(_MAY_REWRITE_STATISTICS).scalar_one():
                log.warning("purge of %s: this role may not rewrite pg_statistic (ADR 19)", self._name)
                return True
            return self._wait_for_horizon(connection) and self._vacuum(
                connection, "VACUUM FULL pg_catalog.pg_statistic"
            )

    def _vacuum(self, connection: Connection, statement: str) -> bool:
        """False when a table's lock was not granted in time (the purge stays owed)."""
        connection.exec_driver_sql(f"SET lock_timeout = '{int(self._lock_timeout_s * 1000)}ms'")
        try:
            connection.exec_driver_sql(statement)
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            log.warning("purge of %s: a table lock was not granted in time; it stays owed", self._name)
            return False
        finally:
            connection.exec_driver_sql("RESET lock_timeout")
        return True

    def _wait_for_horizon(self, connection: Connection) -> bool:
        """Until no transaction that could still see the removed versions is left (they began
        before now, after the removal committed), or the wait is over (the purge stays owed)."""
        next_xid = connection.execute(_NEXT_XID).scalar_one()
        reference = str(int(next_xid) % 2**32)  # the 32-bit xid the sessions show
        deadline = time.monotonic() + self._horizon_wait_s
        while connection.execute(_HELD_BACK, {"reference": reference}).scalar_one():
            if time.monotonic() >= deadline:
                log.warning("purge of %s: older transactions still see the removed rows", self._name)
                return False
            time.sleep(0.05)
        return True

    def _qualified(self, table: Table) -> str:
        quote = self._db.engine.dialect.identifier_preparer.quote
        return f"{quote(self._db.schema)}.{quote(table.name)}" if self._db.schema else quote(table.name)
