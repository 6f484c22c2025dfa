"""No single event stops a projection (ADR 6, "Parking"), on SQLite and PostgreSQL: an event a
read model cannot take is parked with its error redacted, the events after it are applied and
the checkpoint moves on; a new runner (a restart) starts over it; an administrator retries it
once the cause is fixed, or skips it with a reason; a rebuild parks it too; and a database that
cannot be reached parks nothing."""

from __future__ import annotations

import sqlite3
import time

import pytest
from sqlalchemy import (
    CheckConstraint,
    Column,
    Connection,
    MetaData,
    String,
    Table,
    delete,
    func,
    inspect,
    select,
)
from sqlalchemy.exc import IntegrityError, OperationalError

from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.errors import Conflict, NotFound
from gsi_kernel.events import DomainEvent, EventRegistry
from gsi_kernel.parking import ParkedEvent
from gsi_kernel.projections import EventByEvent, Projection, ProjectionRunner
from gsi_kernel.store.backend import backend_of
from gsi_kernel.store.database import Database
from gsi_kernel.store.ddl import upgrade_kernel_tables_v3
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.store.tables import parked_events
from gsi_kernel.store.tracking import read_cursor
from gsi_kernel.writer import StreamWriter
from tests.databases import postgres_database
from tests.integration.support import CLOCK, CONTEXT, count, read_tallies, tallies
from tests.integration.support import metadata as tally_metadata

# A label the read model's column cannot take (its CHECK refuses it): PostgreSQL's DETAIL then
# quotes the whole failing row, this value included.
TOO_LONG = "Tremblay-Gagnon-Côté-Bouchard"
RUNNER = "test.read-models"

metadata = MetaData()
labels = Table(
    "labels",
    metadata,
    Column("stream_id", String(200), primary_key=True),
    Column("label", String(200), nullable=False),
    CheckConstraint("length(label) <= 12", name="ck_labels_short"),
)


class Labelled(DomainEvent):
    event_type = "Tallied"  # the tallies read model counts it too
    amount: int
    label: str


class Labels(EventByEvent):
    """Writes each event's label as is, with a held multi-row INSERT on PostgreSQL (the path
    registration's persons take): its failure only shows at the transaction's next statement.
    ``shorten`` is the fix deployed later."""

    name = "test.labels"

    def __init__(self) -> None:
        self.shorten = False
        self.outage: str | None = None  # the label at which the database goes away

    def apply(self, connection: Connection, event: EventEnvelope) -> None:
        label = str(event.payload["label"])
        if label == self.outage:
            _lose_the_database(connection)
        if self.shorten:
            label = label.replace("\x00", "")[:12]
        backend_of(connection).insert_rows(
            connection, labels, [{"stream_id": event.stream_id, "label": label}]
        )

    def reset(self, connection: Connection) -> None:
        connection.execute(delete(labels))


class Tallies(EventByEvent):
    name = "test.tallies"

    def apply(self, connection: Connection, event: EventEnvelope) -> None:
        count(connection, event)

    def reset(self, connection: Connection) -> None:
        connection.execute(delete(tallies))


def _lose_the_database(connection: Connection) -> None:
    """The server ends this session (PostgreSQL); SQLite's equivalent is an I/O error."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SELECT pg_terminate_backend(pg_backend_pid())")
    raise OperationalError("INSERT INTO labels", {}, sqlite3.OperationalError("disk I/O error"))


def _with_read_models(database: Database) -> Database:
    with database.transaction() as c:
        metadata.create_all(c)
        tally_metadata.create_all(c)
    return database


@pytest.fixture
def db(database: Database) -> Database:
    return _with_read_models(database)


def _runner(db: Database, *projections: Projection, batch_size: int = 10) -> ProjectionRunner:
    return ProjectionRunner(
        db=db,
        store=EventStore(source="gsi/test", clock=CLOCK),
        projections=list(projections),
        clock=CLOCK,
        name=RUNNER,
        batch_size=batch_size,
    )


def _append(db: Database, *events: tuple[str, int, str]) -> list[EventEnvelope]:
    """Each (stream, amount, label) as its stream's next event, by a writer with no read models:
    left to the catch-up, as events from before ADR 28 are."""
    w = StreamWriter(
        db=db,
        store=EventStore(source="gsi/test", clock=CLOCK),
        registry=EventRegistry([Labelled]),
        clock=CLOCK,
    )
    recorded: list[EventEnvelope] = []
    for stream, amount, label in events:
        decide = lambda _h, a=amount, lb=label: [Labelled(amount=a, label=lb)]  # noqa: E731
        recorded += w.execute(stream, decide, CONTEXT).events
    return recorded


def _labels(db: Database) -> dict[str, str]:
    with db.transaction() as c:
        return {r.stream_id: r.label for r in c.execute(select(labels))}


def _parked(db: Database) -> list[ParkedEvent]:
    with db.transaction() as c:
        rows = c.execute(select(parked_events).order_by(parked_events.c.id)).all()
    return [ParkedEvent.model_validate(dict(r._mapping)) for r in rows]


def _checkpoint(db: Database) -> tuple[int, int]:
    with db.transaction() as c:
        return read_cursor(c, RUNNER)


def _catch_up_through(db: Database, runner: ProjectionRunner, recorded: list[EventEnvelope]) -> None:
    """Catch up until the checkpoint passes the events (unlike one ``catch_up``, this waits for
    the transactions older than them, which other tests on the same server may hold open)."""
    through = max(e.cursor for e in recorded)
    deadline = time.monotonic() + 30
    while _checkpoint(db) < through:
        assert time.monotonic() < deadline, f"the catch-up did not reach {through}"
        runner.catch_up()
        time.sleep(0.01)


def test_an_event_a_projection_cannot_take_is_parked_and_the_events_after_it_applied(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    runner = _runner(db, Labels(), Tallies())
    recorded = _append(db, ("a", 1, "Amina"), ("b", 13, TOO_LONG), ("c", 2, "Côté"), ("d", 3, "Ali"))
    _catch_up_through(db, runner, recorded)

    assert _labels(db) == {"a": "Amina", "c": "Côté", "d": "Ali"}
    # Only the projection that could not take it parked it: the other one applied it.
    assert read_tallies(db) == {"a": (1, 1), "b": (13, 1), "c": (2, 1), "d": (3, 1)}
    [parked] = _parked(db)
    poison = recorded[1]
    assert (parked.projection, parked.event_id, parked.event_type, parked.stream_id) == (
        "test.labels",
        poison.event_id,
        "Tallied",
        "b",
    )
    assert (parked.tx_id, parked.position) == poison.cursor
    assert parked.attempts == 3
    assert parked.resolved_at is None
    assert parked.error.startswith("IntegrityError")
    if db.dialect == "postgresql":
        assert "[SQLSTATE 23514] constraint=ck_labels_short table=labels" in parked.error
    assert TOO_LONG not in parked.error
    assert _checkpoint(db) == recorded[-1].cursor  # moved on past it
    assert runner.parked_counts() == {"test.labels": 1, "test.tallies": 0}
    # Logged once, at WARNING, naming the event but none of its values.
    [logged] = [r for r in caplog.records if "parked event" in r.getMessage()]
    assert logged.levelname == "WARNING"
    assert poison.event_id in logged.getMessage()
    assert "test.labels" in logged.getMessage()
    assert TOO_LONG not in caplog.text

    _catch_up_through(db, runner, _append(db, ("e", 4, "Ève")))  # and the projection goes on
    assert _labels(db)["e"] == "Ève"
    assert len(_parked(db)) == 1


def test_a_restart_over_a_poison_event_starts_and_applies_what_follows(db: Database) -> None:
    """What Kernel.start does: catch everything up; an event that fails does not stop it."""
    recorded = _append(db, ("a", 1, TOO_LONG), ("b", 2, "Bob"))
    runner = _runner(db, Labels(), batch_size=1)  # one event per batch: the first fails alone
    runner.catch_up()
    _catch_up_through(db, runner, recorded)
    assert _labels(db) == {"b": "Bob"}
    assert [p.event_id for p in _parked(db)] == [recorded[0].event_id]
    restarted = _runner(db, Labels())
    restarted.catch_up()
    _catch_up_through(db, restarted, _append(db, ("c", 3, "Cléo")))
    assert _labels(db) == {"b": "Bob", "c": "Cléo"}
    assert len(_parked(db)) == 1  # behind the checkpoint: not tried again


def test_retried_after_its_cause_is_fixed_the_event_is_applied(db: Database) -> None:
    projection = Labels()
    runner = _runner(db, projection)
    recorded = _append(db, ("a", 1, TOO_LONG), ("b", 2, "Bob"))
    _catch_up_through(db, runner, recorded)
    [parked] = _parked(db)

    with pytest.raises(Conflict) as still:  # not fixed yet: it stays parked, with the new error
        runner.retry_parked(parked.id, "adele")
    assert still.value.code == "parked_event.still_failing"
    assert still.value.status == 409
    assert "échoue encore" in still.value.fr
    assert "still fails" in still.value.en
    assert TOO_LONG not in str(still.value.details)
    [again] = _parked(db)
    assert again.resolved_at is None
    assert again.attempts == parked.attempts + 1

    projection.shorten = True  # the fix is deployed
    retried = runner.retry_parked(parked.id, "adele")
    assert (retried.resolution, retried.resolved_by) == ("retried", "adele")
    assert retried.resolved_at == CLOCK.now()
    assert _labels(db) == {"a": TOO_LONG[:12], "b": "Bob"}
    assert runner.parked_counts() == {"test.labels": 0}

    with pytest.raises(Conflict) as resolved:
        runner.retry_parked(parked.id, "adele")
    assert resolved.value.code == "parked_event.resolved"
    with pytest.raises(NotFound):
        runner.retry_parked(parked.id + 1000, "adele")


def test_a_skipped_event_is_marked_with_who_when_and_why(db: Database) -> None:
    runner = _runner(db, Labels())
    _catch_up_through(db, runner, _append(db, ("a", 1, TOO_LONG)))
    [parked] = _parked(db)
    skipped = runner.skip_parked(parked.id, "adele", "Saisie de test; rien à projeter")
    assert (skipped.resolution, skipped.resolved_by, skipped.reason) == (
        "skipped",
        "adele",
        "Saisie de test; rien à projeter",
    )
    assert skipped.resolved_at == CLOCK.now()
    assert _parked(db) == [skipped]
    assert runner.parked_counts() == {"test.labels": 0}
    assert _labels(db) == {}
    with pytest.raises(Conflict):
        runner.skip_parked(parked.id, "adele", "again")


def test_an_unreachable_database_parks_nothing(db: Database) -> None:
    projection = Labels()
    projection.outage = "Bob"
    runner = _runner(db, projection)
    recorded = _append(db, ("a", 1, "Amina"), ("b", 2, "Bob"), ("c", 3, "Cléo"))
    with pytest.raises(OperationalError):
        _catch_up_through(db, runner, recorded)
    assert _parked(db) == []
    assert _checkpoint(db) == (0, 0)  # the step failed whole: tried again later
    assert _labels(db) == {}
    projection.outage = None  # the database is back
    _catch_up_through(db, runner, recorded)
    assert _labels(db) == {"a": "Amina", "b": "Bob", "c": "Cléo"}
    assert _parked(db) == []


def test_a_rebuild_parks_what_it_cannot_take_and_settles_what_it_now_takes(db: Database) -> None:
    projection = Labels()
    runner = _runner(db, projection, Tallies(), batch_size=2)
    recorded = _append(db, ("a", 1, "Amina"), ("b", 2, TOO_LONG), ("c", 3, "Cléo"))
    _catch_up_through(db, runner, recorded)
    [parked] = _parked(db)

    assert runner.rebuild("test.labels") == 2  # it goes on past the event, which stays parked
    assert _labels(db) == {"a": "Amina", "c": "Cléo"}
    [still] = _parked(db)
    assert (still.id, still.resolved_at, still.attempts) == (parked.id, None, 6)

    projection.shorten = True
    assert runner.rebuild("test.labels") == 3
    assert _labels(db) == {"a": "Amina", "b": TOO_LONG[:12], "c": "Cléo"}
    [settled] = _parked(db)
    assert (settled.resolution, settled.resolved_by) == ("rebuilt", "rebuild")
    assert read_tallies(db) == {"a": (1, 1), "b": (2, 1), "c": (3, 1)}  # the other one untouched


def test_inline_a_projection_that_fails_fails_only_its_command(db: Database) -> None:
    """ADR 28: a command's events go into the read models in its own transaction; one the read
    model cannot take fails that command (nothing written, nothing parked), and the next
    commands and the catch-up go on."""
    store = EventStore(source="gsi/test", clock=CLOCK)
    runner = _runner(db, Labels())
    w = StreamWriter(
        db=db,
        store=store,
        registry=EventRegistry([Labelled]),
        clock=CLOCK,
        project=runner.apply_inline,
    )
    with pytest.raises(IntegrityError):
        w.execute("a", lambda _h: [Labelled(amount=1, label=TOO_LONG)], CONTEXT)
    [ok] = w.execute("b", lambda _h: [Labelled(amount=2, label="Bob")], CONTEXT).events
    assert ok.projected
    runner.catch_up()
    assert _labels(db) == {"b": "Bob"}
    assert _parked(db) == []
    with db.transaction() as c:
        assert store.load(c, "a") == []


@pytest.mark.postgres
def test_on_postgres_a_nul_in_a_read_model_row_is_parked_without_its_text(postgres_url: str) -> None:
    """The incident: a name with U+0000 reached the store; PostgreSQL refuses it in a read model
    (its JSON rows cannot carry \\u0000 to text), and its error quoted the row."""
    with postgres_database(postgres_url) as database:
        db_ = _with_read_models(database)
        runner = _runner(db_, Labels())
        recorded = _append(db_, ("a", 1, "Trem\x00blay"), ("b", 2, "Bob"))
        _catch_up_through(db_, runner, recorded)
        assert _labels(db_) == {"b": "Bob"}
        [parked] = _parked(db_)
        assert parked.error.startswith("DataError: psycopg.errors.UntranslatableCharacter [SQLSTATE 22P05]")
        assert "Trem" not in parked.error


def test_kernel_tables_v3_adds_the_parked_events_table_once(database: Database) -> None:
    def has_table() -> bool:
        with database.transaction() as c:
            return inspect(c).has_table("parked_events")

    assert has_table()  # version 1 builds the current tables (tests/databases.py uses it)
    with database.transaction() as c:
        parked_events.drop(c)  # a database from before version 3
    assert not has_table()
    for _ in range(2):  # and again: nothing to do
        with database.transaction() as c:
            upgrade_kernel_tables_v3(c)
    assert has_table()
    with database.transaction() as c:
        assert c.execute(select(func.count()).select_from(parked_events)).scalar_one() == 0
