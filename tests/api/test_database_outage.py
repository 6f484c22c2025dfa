"""A lost database answers 503 with ``Retry-After`` and a bilingual message — never a 500 nor a
closed connection — and the service recovers by itself when the database is back (issue 19).

The outage is real but the service's alone: it reaches PostgreSQL through a TCP relay the test
cuts (every open connection closed, new ones refused) and restores, so that nothing else using
the shared PostgreSQL notices."""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from gsi_kernel.clock import FixedClock
from gsi_kernel.http.errors import install_error_handlers
from interventions.bootstrap import build, build_app
from interventions.settings import InterventionsSettings
from tests.api.conftest import InterventionsService
from tests.api.test_interventions import details, staff
from tests.consumers import outbox_events
from tests.databases import postgres_schema

ORG = "org-sherbrooke"


class Relay:
    """A TCP relay to ``upstream`` on a port of its own, that can be cut and restored."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        """Close the listener and every relayed connection: a database gone."""
        assert self._listener is not None
        self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread (close alone does not)
        self._listener.close()
        self._listener = None
        with self._lock:
            for s in self._sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed: down
            server = socket.create_connection(self.upstream)
            with self._lock:
                self._sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        for s in (source, target):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def relayed(postgres_url: str, tmp_path: Path) -> Iterator[tuple[InterventionsService, Relay]]:
    """The interventions service on PostgreSQL, through a relay the test cuts."""
    url = make_url(postgres_url)
    relay = Relay((url.host or "127.0.0.1", url.port or 5432))
    relay.up()
    with postgres_schema(postgres_url) as schema:
        through = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
        settings = InterventionsSettings(data_dir=tmp_path, database_url=through, db_schema=schema)
        container = build(settings, clock=FixedClock(datetime(2026, 11, 20, 15, 0, tzinfo=UTC)))
        kernel = container.kernel
        with TestClient(build_app(container), raise_server_exceptions=False) as client:
            yield InterventionsService(client, kernel.clock, kernel), relay  # type: ignore[arg-type]
            if relay._listener is None:
                relay.up()
        kernel.db.dispose()


def declare(service: InterventionsService, person: str, key: str | None = None) -> Any:
    headers = {**staff(service), **({"Idempotency-Key": key} if key else {})}
    return service.client.post("/interventions", json={"person_id": person, **details()}, headers=headers)


def assert_unavailable(answer: Any) -> None:
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["Retry-After"]) > 0
    body = answer.json()
    assert body["code"] == "service.database_unavailable"
    assert "base de données" in body["message"]["fr"]
    assert "database" in body["message"]["en"]


@pytest.mark.postgres
def test_a_lost_database_is_503_then_the_service_recovers_by_itself(
    relayed: tuple[InterventionsService, Relay],
) -> None:
    service, relay = relayed
    person = service.register_person(ORG)
    headers = staff(service)  # a token first: the dev issuer needs no database
    assert declare(service, person).status_code == 201

    relay.down()
    for _ in range(3):  # the pooled connection dies, then new ones are refused: 503 each time
        assert_unavailable(declare(service, person))
    assert_unavailable(declare(service, person, key="retry-me"))  # the key could not even be kept
    assert service.client.get("/interventions", headers=headers).status_code == 503

    relay.up()
    answers = [declare(service, person, key="retry-me") for _ in range(3)]
    assert answers[0].status_code == 201, answers[0].text  # the pool recovered: no request lost
    assert [a.json() for a in answers[1:]] == [answers[0].json()] * 2  # the retries: one effect
    declared = [e for e in outbox_events(service.kernel) if e.type == "interventions.InterventionDeclared"]
    assert len(declared) == 2  # before the outage, and the retried one — none of the 503s


# Which errors say "the database is out of reach" (503) and which are a bug (500).


def _raise(exc: Exception) -> Any:
    def route() -> None:
        raise exc

    return route


def _driver(exc: Exception) -> sa_exc.DBAPIError:
    return sa_exc.OperationalError("SELECT 1", {}, exc)


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (_driver(psycopg.OperationalError("connection refused")), 503),
        (sa_exc.TimeoutError("QueuePool limit reached, connection timed out"), 503),
        (sa_exc.DisconnectionError("gone"), 503),
        (_driver(sqlite3.OperationalError("database is locked")), 503),
        (psycopg.errors.AdminShutdown("terminating connection due to administrator command"), 503),
        (psycopg.errors.CannotConnectNow("the database system is starting up"), 503),
        (psycopg.errors.ConnectionFailure("connection failure"), 503),
        (sa_exc.IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation("duplicate")), 500),
        (sa_exc.ProgrammingError("SELECT", {}, psycopg.errors.SyntaxError("syntax")), 500),
        (RuntimeError("a bug"), 500),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_database_errors_are_503_and_bugs_500(exc: Exception, status: int) -> None:
    app = FastAPI()
    install_error_handlers(app)
    app.add_api_route("/x", _raise(exc), methods=["POST"])
    answer = TestClient(app, raise_server_exceptions=False).post("/x")
    assert answer.status_code == status
    body = answer.json()
    assert body["message"]["fr"]
    assert body["message"]["en"]
    if status == 503:
        assert body["code"] == "service.database_unavailable"
        assert answer.headers["Retry-After"] == "5"
    else:
        assert body["code"] == "internal_error"
        assert "Retry-After" not in answer.headers
