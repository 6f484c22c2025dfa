"""Database errors where they surface — a worker's error on ``/ready`` and in the log, the 500
handler's log, a consumer's dead letters, any logged exception — name the failure (its class,
SQLSTATE, constraint) and never the values it refused, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import CheckConstraint, Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from gsi_kernel.bus.embedded import EmbeddedBus
from gsi_kernel.bus.port import Message, TopicSpec
from gsi_kernel.consumer import ConsumerRunner, dead_letter_topic
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.failures import RedactingFilter, database_unavailable, describe, lost_a_conflict
from gsi_kernel.http.errors import install_error_handlers
from gsi_kernel.store.database import Database
from gsi_kernel.store.tables import dead_letters
from gsi_kernel.telemetry import JsonLogFormatter, Telemetry
from gsi_kernel.workers import WorkerThread
from tests.integration.support import CLOCK

SECRET = "Tremblay-Gagnon"  # a name: it must not leave the database's error
OTHER = "Amina Haddad"

metadata = MetaData()
people = Table(
    "people",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    CheckConstraint("length(name) <= 12", name="ck_people_short"),
)


@pytest.fixture
def db(database: Database) -> Database:
    with database.transaction() as c:
        metadata.create_all(c)
        c.execute(insert(people).values(id=1, name="Amina"))
    return database


def _write(db: Database, name: str, person_id: int = 2) -> None:
    with db.transaction() as c:
        c.execute(insert(people).values(id=person_id, name=name))


def _refused(db: Database, name: str, person_id: int = 2) -> Exception:
    try:
        _write(db, name, person_id)
    except Exception as exc:
        return exc
    raise AssertionError("the database took it")


def test_a_refused_row_is_described_by_its_constraint_not_its_values(db: Database) -> None:
    too_long = _refused(db, SECRET)
    assert isinstance(too_long, IntegrityError)
    # What the exception itself says: the statement, never its parameters (hide_parameters)...
    assert "hide_parameters=True" in str(too_long)
    # ...but on PostgreSQL the DETAIL quotes the failing row: hence describe().
    if db.dialect == "postgresql":
        assert SECRET in str(too_long)
    described = describe(too_long)
    assert SECRET not in described
    assert described.startswith("IntegrityError: ")
    if db.dialect == "postgresql":
        assert described == (
            "IntegrityError: psycopg.errors.CheckViolation [SQLSTATE 23514] "
            "constraint=ck_people_short table=people"
        )
    else:
        assert described == (
            "IntegrityError: sqlite3.IntegrityError [SQLITE_CONSTRAINT_CHECK] "
            "CHECK constraint failed: ck_people_short"
        )

    duplicate = _refused(db, "Amina", person_id=3)  # Key (name)=(Amina) already exists
    assert "Amina" not in describe(duplicate)
    assert ("23505" if db.dialect == "postgresql" else "UNIQUE constraint failed: people.name") in describe(
        duplicate
    )
    assert not database_unavailable(too_long)
    assert not database_unavailable(duplicate)


@pytest.mark.postgres
def test_on_postgres_a_nul_the_driver_refuses_is_described_without_the_text(postgres_url: str) -> None:
    from tests.databases import postgres_database

    with postgres_database(postgres_url) as database:
        with database.transaction() as c:
            metadata.create_all(c)
        refused = _refused(database, "Trem\x00blay")
        assert isinstance(refused, DataError)
        assert "Trem" not in str(refused)  # hide_parameters: the value is not in the statement's text
        assert describe(refused) == "DataError: psycopg.DataError"


@pytest.mark.postgres
def test_on_postgres_a_lost_connection_is_unavailable_not_the_datas_fault(postgres_url: str) -> None:
    from tests.databases import postgres_database

    with postgres_database(postgres_url) as database:
        with pytest.raises(OperationalError) as lost, database.transaction() as c:
            c.exec_driver_sql("SELECT pg_terminate_backend(pg_backend_pid())")
        assert database_unavailable(lost.value)
        assert describe(lost.value).startswith("OperationalError")


@pytest.mark.postgres
def test_on_postgres_a_serialization_failure_is_a_lost_conflict_a_lost_connection_is_not(
    postgres_url: str,
) -> None:
    from tests.databases import postgres_database

    with postgres_database(postgres_url) as database:
        with pytest.raises(OperationalError) as lost, database.transaction() as c:
            c.exec_driver_sql("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'serialization_failure'; END $$")
        assert lost_a_conflict(lost.value)
        with pytest.raises(OperationalError) as gone, database.transaction() as c:
            c.exec_driver_sql("SELECT pg_terminate_backend(pg_backend_pid())")
        assert not lost_a_conflict(gone.value)
    assert not lost_a_conflict(ValueError("40001"))


def test_a_validation_error_keeps_where_and_what_not_the_input() -> None:
    class Person(BaseModel):
        family_name: str = Field(max_length=5)
        birth_date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")

    with pytest.raises(ValidationError) as invalid:
        Person(family_name=SECRET, birth_date="le 12 mars")
    assert SECRET in str(invalid.value)  # pydantic's own text quotes the input
    assert (
        describe(invalid.value)
        == "ValidationError: 2 error(s): family_name string_too_long; birth_date string_pattern_mismatch"
    )


def test_a_failing_worker_reports_and_logs_its_error_redacted(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    class Writer:
        def run_once(self) -> int:
            _write(db, SECRET)
            return 1

        def close(self) -> None:
            """Nothing held."""

    stop = threading.Event()
    thread = WorkerThread("writer", Writer, stop, max_backoff_s=0.05)
    with caplog.at_level(logging.ERROR, logger="gsi_kernel.workers"):
        thread.start()
        deadline = time.monotonic() + 10
        while thread.last_error is None and time.monotonic() < deadline:
            time.sleep(0.01)
        stop.set()
        thread.join(5)
    assert thread.last_error is not None
    assert thread.last_error.startswith("IntegrityError")  # what /ready shows
    assert SECRET not in thread.last_error
    assert "worker writer failed (IntegrityError" in caplog.text
    assert "RedactedError" in caplog.text  # the traceback's frames are kept, its text is not
    assert "_write(db, SECRET)" in caplog.text
    assert SECRET not in caplog.text.replace("_write(db, SECRET)", "")


def test_the_500_handler_logs_a_database_error_redacted(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/people")
    def add() -> None:
        _write(db, SECRET)

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/people")
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert SECRET not in response.text
    [logged] = [r for r in caplog.records if r.name == "gsi_kernel.http.errors"]
    assert logged.getMessage().startswith("unhandled error: IntegrityError")
    text = logging.Formatter().format(logged)
    assert "RedactedError" in text
    assert SECRET not in text


def test_the_process_log_handler_redacts_whatever_logs_an_exception(db: Database) -> None:
    """The web server logs again the error the 500 handler answered, a service may log one with
    ``log.exception``: the handler configure_logging installs redacts them all."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter("test"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    try:
        refused = _refused(db, SECRET)
        try:
            raise refused
        except IntegrityError:
            logger.exception("Exception in ASGI application")
        logger.error("import failed: %s", refused)
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["message"] == "Exception in ASGI application"
    assert lines[1]["message"].startswith("import failed: IntegrityError")
    assert "RedactedError: IntegrityError" in lines[0]["exception"]
    assert SECRET not in stream.getvalue()


def test_a_dead_lettered_message_keeps_its_error_redacted(db: Database, tmp_path: Path) -> None:
    bus = EmbeddedBus(tmp_path / "bus.db")
    topic = "people"
    bus.ensure_topics([TopicSpec(topic, 1), TopicSpec(dead_letter_topic("test.people"), 1)])
    event = EventEnvelope(
        event_id=str(uuid.uuid4()),
        type="PersonNamed",
        schema_version=1,
        source="gsi/test",
        stream_id="person-2",
        stream_version=1,
        occurred_at=CLOCK.now(),
        recorded_at=CLOCK.now(),
        actor="tester",
        organization="org-test",
        correlation_id=str(uuid.uuid4()),
        causation_id=None,
        traceparent=None,
        payload={"name": SECRET},
    )
    bus.producer().publish([Message(topic, "person-2", event.to_bytes(), ())])

    def handler(connection: Any, envelope: EventEnvelope) -> None:
        connection.execute(insert(people).values(id=2, name=envelope.payload["name"]))

    runner = ConsumerRunner(
        name="test.people",
        db=db,
        bus=bus,
        topics=[topic],
        handlers={"PersonNamed": handler},
        clock=CLOCK,
        telemetry=Telemetry("test"),
        max_attempts=2,
        backoff_s=0.0,
    )
    deadline = time.monotonic() + 30
    while not runner.run_once() and time.monotonic() < deadline:
        pass
    runner.close()
    with db.transaction() as c:
        [error] = c.execute(select(dead_letters.c.error)).scalars()
    assert error.startswith("IntegrityError")
    assert SECRET not in error
    letters = bus.consumer("dlq-reader", [dead_letter_topic("test.people")]).poll(5)
    assert SECRET.encode() not in (letters[0].header("gsi-error") or b"")
