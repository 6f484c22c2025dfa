"""The storage layer's ports: what the kernel and the services ask of a database, whichever it is.

- :class:`EventStorePort` and :class:`OutboxPort`: the event store and the outbox
  (:class:`gsi_kernel.store.event_store.EventStore`, :class:`gsi_kernel.store.outbox.Outbox`).
- :class:`Backend`: what differs between the two databases GSI runs on, as named operations —
  the event store's and outbox's rows (:class:`EventRecorder`), the read models' row
  operations (:class:`RowWriter`), and the database-wide behaviour (engine, purge).
  One module per backend implements it (:mod:`gsi_kernel.store.postgres`,
  :mod:`gsi_kernel.store.sqlite`); the backend is chosen once, by URL, where the
  :class:`~gsi_kernel.store.database.Database` is built, and code holding a ``Connection``
  finds it with :func:`gsi_kernel.store.backend.backend_of`. Nothing else tests the dialect.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection, Engine, Table
from sqlalchemy import Sequence as DbSequence
from sqlalchemy.sql import Select

from gsi_kernel.envelope import CommandContext, EventEnvelope
from gsi_kernel.events import DomainEvent

if TYPE_CHECKING:
    from gsi_kernel.store.outbox import PendingMessage, Publication
    from gsi_kernel.store.prepared import PreparedSelect

# A new event's own columns: (event_id, stream_id, version, type, schema_version, payload).
NewEvent = tuple[str, str, int, str, int, dict[str, Any]]
NEW_EVENT_FIELDS = ("event_id", "stream_id", "version", "type", "schema_version", "payload")
# What went in: event id -> (position, transaction id).
Written = dict[str, tuple[int, int | None]]
Cursor = tuple[int, int]  # (transaction id, position): commit order
Read = tuple["PreparedSelect", Mapping[str, Any]]  # a prepared read and its parameters


class EventStorePort(Protocol):
    def append(
        self,
        connection: Connection,
        stream_id: str,
        expected_version: int,
        new_events: Sequence[DomainEvent],
        context: CommandContext,
        *,
        publish: Callable[[EventEnvelope], Sequence[Publication]] | None = None,
        projected: bool = False,
    ) -> list[EventEnvelope]: ...

    def append_new_streams(
        self,
        connection: Connection,
        streams: Sequence[tuple[str, Sequence[DomainEvent]]],
        context: CommandContext,
        *,
        skip_existing: bool = False,
        projected: bool = False,
    ) -> list[EventEnvelope]: ...

    def load(self, connection: Connection, stream_id: str) -> list[EventEnvelope]: ...

    def read_all(
        self, connection: Connection, *, after: Cursor = (0, 0), limit: int = 1000, settled: bool = False
    ) -> list[EventEnvelope]: ...

    def stream_version(self, connection: Connection, stream_id: str) -> int: ...

    def last_position(self, connection: Connection) -> int: ...


class OutboxPort(Protocol):
    def put(self, connection: Connection, publications: Sequence[Publication], now: datetime) -> None: ...

    def unsent(self, connection: Connection, limit: int) -> list[PendingMessage]: ...

    def mark_sent(self, connection: Connection, ids: Sequence[int], now: datetime) -> None: ...

    def pending_count(self, connection: Connection) -> int: ...


class EventRecorder(Protocol):
    """The event store's and outbox's rows, the way each database writes and reads them fastest."""

    def append_events(
        self,
        connection: Connection,
        stream_id: str,
        expected_version: int,
        new: Sequence[NewEvent],
        shared: dict[str, Any],
        published: Sequence[tuple[str, dict[str, Any]]],
    ) -> Written:
        """One command's events after ``expected_version`` and their ``(source event id, outbox
        row)`` rows; empty when the stream had moved on. A clash raises ``IntegrityError``."""
        ...

    def insert_new_events(
        self, connection: Connection, new: Sequence[NewEvent], shared: dict[str, Any]
    ) -> Written:
        """Insert the events, skipping a ``(stream, version)`` that exists: what went in."""
        ...

    def load_events(self, connection: Connection, stream_id: str, source: str) -> list[EventEnvelope]: ...

    def read_events(
        self, connection: Connection, after: Cursor, limit: int, *, settled: bool, source: str
    ) -> list[EventEnvelope]:
        """Events after ``after`` in commit order (ADR 2); ``settled``: appends are held off."""
        ...

    def insert_outbox(
        self, connection: Connection, rows: Sequence[dict[str, Any]], now: datetime
    ) -> None: ...

    def unsent_outbox(self, connection: Connection, limit: int) -> Sequence[tuple[int, str, str, bytes, str]]:
        """The first ``limit`` unsent rows in id order: ``(id, topic, key, value, headers as JSON
        text)`` — the relay parses the headers itself (a driver's JSON loader costs it more)."""
        ...

    def mark_outbox_sent(self, connection: Connection, ids: Sequence[int], now: datetime) -> None: ...


class RowWriter(Protocol):
    """The row operations read models (and the kernel's own tables) need beyond plain Core."""

    def insert(self, table: Table) -> Any:
        """An INSERT that takes ``on_conflict_do_nothing`` / ``on_conflict_do_update`` (with
        ``excluded``) and ``returning``: upserts and insert-or-ignore, the same on both."""
        ...

    def insert_rows(self, connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        """Many rows with the same keys (on PostgreSQL one statement)."""
        ...

    def copy_rows(self, connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        """Many rows, every column of ``table`` given: an import's tens of thousands as well as
        a command's few (``COPY`` on PostgreSQL for the many, :meth:`insert_rows` else)."""
        ...

    def next_number(self, connection: Connection, sequence: DbSequence, counter: Table, name: str) -> int:
        """The next number of a counter that never hands one out twice: the ``sequence`` where
        the database has sequences, else the row ``name`` of ``counter`` (``name``,
        ``last_number``), bumped."""
        ...

    def lock_rows(self, query: Select[Any]) -> Select[Any]:
        """``query`` locking the rows it reads until the transaction ends (``FOR UPDATE``)."""
        ...

    def claim_rows(self, query: Select[Any]) -> Select[Any]:
        """``query`` locking the rows it reads and skipping those another transaction locked."""
        ...

    def lock_key(self, connection: Connection, key: str) -> None:
        """Hold ``key`` until the transaction ends (concurrent holders of it wait)."""
        ...

    def hold_appends(self, connection: Connection) -> None:
        """Until the transaction ends, no event is appended by anyone else (a rebuild, ADR 16)."""
        ...

    @property
    def date_arrays(self) -> bool:
        """Whether queries may bucket dates by an array of thresholds (``width_bucket``)."""
        ...


class Backend(EventRecorder, RowWriter, Protocol):
    """One database (PostgreSQL, SQLite): its engine, its transactions and its rows."""

    def __hash__(self) -> int: ...  # statements are built once per backend (functools.cache)

    @property
    def name(self) -> str: ...

    @property
    def schemas(self) -> bool:
        """Each service works in its own schema (else one database file each)."""
        ...

    @property
    def serialises_writers(self) -> bool:
        """One writer at a time: a write may wait for another's whole transaction."""
        ...

    @property
    def purge_rewrites(self) -> bool:
        """Erased bytes leave the disk by rewriting the tables (else a WAL checkpoint, ADR 19)."""
        ...

    def engine(self, url: str, *, schema: str | None, pool_size: int, echo: bool) -> Engine: ...

    def select_prepared(
        self, connection: Connection, select: PreparedSelect, params: Mapping[str, Any]
    ) -> Sequence[Any]:
        """The rows of a :class:`~gsi_kernel.store.prepared.PreparedSelect`."""
        ...

    def prefetch(self, connection: Connection, reads: Sequence[Read]) -> None:
        """Make ``reads`` now, for this transaction, where it saves round trips."""
        ...

    def create_event_guard(self, connection: Connection) -> None:
        """Stored events refuse UPDATE and DELETE (and TRUNCATE): schema, kernel v1."""
        ...

    def drop_event_guard(self, connection: Connection) -> None: ...

    def upgrade_dead_letters_v4(self, connection: Connection, kept: Sequence[str]) -> None:
        """Kernel schema v4: ``raw_key``, a nullable ``value``, one row per place in the log
        (``kept``: the columns of the table as it is)."""
        ...
