"""What may be said of a failure outside the process: in logs, ``/ready``, dead letters and
parked events — never the values it was about.

A database error's text carries the data it refused: PostgreSQL's DETAIL (``Key (x)=(…)``, the
failing row), its CONTEXT (a JSON excerpt), some primary messages (``invalid input syntax for
type date: "…"``), and SQLAlchemy adds the statement's parameters. :func:`describe` keeps only
what names the failure: the exception's class, the driver's class, the SQLSTATE (or SQLite's
error name), and the constraint, table and column names the server reports — the schema's words,
not the data's. A validation error keeps its field locations and error types, not the input.
Other exceptions keep their message: it is the code's own words.

:func:`database_unavailable` tells the failures that are not an event's fault (the database is
unreachable, busy, or its schema is not the code's): retry later rather than set the event
aside.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from types import TracebackType

import psycopg
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc

from gsi_kernel.errors import GsiError

_MESSAGE_CHARS = 300

# SQLSTATE classes that say nothing about the statement's data: connection (08), transaction
# state (25: an earlier statement already failed), rollback (40: serialization, deadlock),
# resources (53), object state (55: lock not available), operator (57: cancelled, shutdown),
# system (58).
_UNAVAILABLE_CLASSES = frozenset({"08", "25", "40", "53", "55", "57", "58"})
# The schema is not the one the code expects (a migration not run): no event is at fault.
_SCHEMA_STATES = frozenset({"3F000", "42P01", "42703", "42883", "42501"})
# SQLite's constraint messages name the schema only (``UNIQUE constraint failed: t.c``).
_SQLITE_CONSTRAINT = re.compile(r"^[A-Z ]+ constraint failed(: [\w., ]+)?$")


def describe(exc: BaseException) -> str:
    """One line naming ``exc`` without the values it carries (see the module's docstring)."""
    if isinstance(exc, sa_exc.StatementError | psycopg.Error | sqlite3.Error):
        return _database(exc)
    if isinstance(exc, ValidationError):
        places = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(root)'} {e['type']}"
            for e in exc.errors(include_url=False, include_input=False, include_context=False)[:5]
        )
        return f"ValidationError: {exc.error_count()} error(s): {places}"
    if isinstance(exc, GsiError):
        return f"{type(exc).__name__}: {exc.code}"
    message = str(exc).replace("\n", " ")
    if len(message) > _MESSAGE_CHARS:
        message = message[:_MESSAGE_CHARS] + "…"
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _database(exc: BaseException) -> str:
    driver = exc.orig if isinstance(exc, sa_exc.StatementError) else exc
    parts = [type(exc).__name__]
    if driver is not None and driver is not exc:
        parts[0] += f": {type(driver).__module__}.{type(driver).__name__}"
    if isinstance(driver, psycopg.Error):
        if driver.sqlstate:
            parts.append(f"[SQLSTATE {driver.sqlstate}]")
        diag = driver.diag
        for label, name in (
            ("constraint", diag.constraint_name),
            ("table", diag.table_name),
            ("column", diag.column_name),
        ):
            if name:
                parts.append(f"{label}={name}")
    elif isinstance(driver, sqlite3.Error):
        code = getattr(driver, "sqlite_errorname", None)
        if code:
            parts.append(f"[{code}]")
        text = str(driver)
        if _SQLITE_CONSTRAINT.match(text):
            parts.append(text)
    return " ".join(parts)


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a PostgreSQL error (raised as SQLAlchemy's or psycopg's), else None."""
    driver = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    return driver.sqlstate if isinstance(driver, psycopg.Error) else None


def database_unavailable(exc: BaseException) -> bool:
    """The database could not run the statement for a reason no event's data explains: it is
    unreachable or busy, the transaction was already broken, or its schema lacks a table."""
    if isinstance(exc, sa_exc.DisconnectionError | sa_exc.TimeoutError | sa_exc.PendingRollbackError):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    driver = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    if isinstance(driver, psycopg.OperationalError | psycopg.InterfaceError | sqlite3.OperationalError):
        return True
    state = sqlstate(exc)
    return state is not None and (state[:2] in _UNAVAILABLE_CLASSES or state in _SCHEMA_STATES)


def lost_a_conflict(exc: BaseException) -> bool:
    """PostgreSQL rolled the transaction back to break a conflict with another one (SQLSTATE
    class 40: a deadlock, a serialization failure): the same work run again can succeed."""
    state = sqlstate(exc)
    return state is not None and state.startswith("40")


class RedactedError(Exception):
    """Stands in for an exception in a logged traceback: its frames, :func:`describe`'s words."""


def redacted_exc_info(exc: BaseException) -> tuple[type[BaseException], BaseException, TracebackType | None]:
    """``exc_info`` for a log call: the frames of ``exc`` (where it failed, in the code) under a
    :class:`RedactedError` saying :func:`describe` of it — without its text nor its chain (a
    driver error's own text is the same DETAIL)."""
    return RedactedError, RedactedError(describe(exc)), exc.__traceback__


class RedactingFilter(logging.Filter):
    """On the process's log handler: whatever logs an exception — the kernel, a service, the
    web server (which logs again what the 500 handler answered) — logs it redacted, its
    traceback's frames kept; an exception passed as a message argument is described too."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            shown = record.exc_info[1]
            if not isinstance(shown, RedactedError):
                record.exc_info = redacted_exc_info(shown)
                record.exc_text = None
        if isinstance(record.args, tuple) and any(isinstance(a, BaseException) for a in record.args):
            record.args = tuple(describe(a) if isinstance(a, BaseException) else a for a in record.args)
        return True
