"""Several reads in one write to PostgreSQL's socket and one wait for their answers.

psycopg's pipeline mode keeps the reads in one round trip, but each ``execute`` in it still
flushes to the socket and polls it on its own: at the start of a declaration (its BEGIN and five
reads) that was about seven writes, each waking the server's backend for one message, and
~0.35 ms of client CPU in psycopg's per-statement machinery (ADR 10). Here the messages go
straight to libpq (:mod:`psycopg.pq`): the BEGIN, each read as a named prepared statement
(prepared on the first use on a connection), one Sync, one flush; then the results, loaded
with psycopg's own :class:`~psycopg.adapt.Transformer` (the same Python values as a cursor).
Measured on the same reads: ~0.12 ms of client CPU instead of ~0.4, and less of the server's.

Only at the start of a transaction (the connection idle, outside any transaction): there a
statement that is no longer prepared on the server (psycopg deallocates every prepared
statement after a rollback) can be noticed and the whole batch sent again, after a ROLLBACK of
the transaction this batch itself began. :func:`read_ahead` answers ``None`` anywhere else, and
the caller uses psycopg's pipeline.
"""

from __future__ import annotations

import functools
import re
import select
import weakref
from collections import namedtuple
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg import errors, pq
from psycopg.adapt import PyFormat, Transformer

_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%|%")
# SQLSTATE 26000: no prepared statement of that name on the server (any more).
_NOT_PREPARED = b"26000"


class _Prepared:
    """The statements this module prepared on one connection: (SQL, parameter types) -> name.
    Names are never reused on a connection, so a statement forgotten here and still on the
    server cannot clash with a new one."""

    def __init__(self) -> None:
        self.names: dict[tuple[bytes, tuple[int, ...]], bytes] = {}
        self._made = 0

    def new_name(self) -> bytes:
        self._made += 1
        return b"gsi_%d" % self._made


_PREPARED: weakref.WeakKeyDictionary[psycopg.Connection[Any], _Prepared] = weakref.WeakKeyDictionary()

Query = tuple[str, Mapping[str, Any]]  # psycopg's ``%(name)s`` SQL and its parameters
# What a message sent was: a transaction command (None), or a statement's preparation or execution.
_Sent = tuple[str, tuple[bytes, tuple[int, ...]]] | None


def read_ahead(connection: psycopg.Connection[Any], queries: Sequence[Query]) -> list[list[Any]] | None:
    """The rows of each query (named tuples, as psycopg's ``namedtuple_row``), all sent at once,
    in a transaction begun here. ``None`` when the connection is already in a transaction: the
    caller reads another way. A failing query raises its psycopg error; the transaction is then
    aborted, as after any failed statement."""
    pgconn = connection.pgconn
    if connection.autocommit or pgconn.transaction_status != pq.TransactionStatus.IDLE:
        return None
    prepared = _PREPARED.get(connection) or _PREPARED.setdefault(connection, _Prepared())
    try:
        results = _send_all(connection, queries, prepared, rollback_first=False)
        if any(_lost(result) for _, result in results):
            prepared.names.clear()  # the server forgot them (a rollback, a DISCARD): prepare again
            results = _send_all(connection, queries, prepared, rollback_first=True)
    except BaseException:
        # Mid-protocol (an interrupt, a broken socket): the connection's state is unknown, so it
        # is closed and the pool replaces it.
        if pgconn.pipeline_status != pq.PipelineStatus.OFF:
            connection.close()
        raise
    return _rows(connection, results, len(queries))


def _send_all(
    connection: psycopg.Connection[Any],
    queries: Sequence[Query],
    prepared: _Prepared,
    *,
    rollback_first: bool,
) -> list[tuple[_Sent, pq.abc.PGresult]]:
    """Send the batch; each result with what it answers (results come one per message sent)."""
    pgconn = connection.pgconn
    transformer = Transformer(connection)
    bound = []  # parameters are adapted before anything is sent: a value psycopg cannot adapt fails here
    for sql, params in queries:
        text, names = _positional(sql)
        values = transformer.dump_sequence([params[n] for n in names], [PyFormat.AUTO] * len(names))
        bound.append(((text, tuple(transformer.types or ())), values, tuple(transformer.formats or ())))
    sent: list[_Sent] = []
    pgconn.enter_pipeline_mode()
    if rollback_first:
        pgconn.send_query_params(b"ROLLBACK", None)
        sent.append(None)
    pgconn.send_query_params(_begin(connection), None)
    sent.append(None)
    for key, values, formats in bound:
        name = prepared.names.get(key)
        if name is None:
            name = prepared.names[key] = prepared.new_name()
            pgconn.send_prepare(name, key[0], param_types=key[1])
            sent.append(("prepare", key))
        pgconn.send_query_prepared(name, values, param_formats=formats)
        sent.append(("execute", key))
    pgconn.pipeline_sync()
    results = list(zip(sent, _until_sync(pgconn), strict=True))
    pgconn.exit_pipeline_mode()
    for what, result in results:  # a statement not prepared (or no longer) is prepared next time
        if what and ((what[0] == "prepare" and result.status != pq.ExecStatus.COMMAND_OK) or _lost(result)):
            prepared.names.pop(what[1], None)
    return results


def _until_sync(pgconn: pq.abc.PGconn) -> list[pq.abc.PGresult]:
    """Flush what was queued, then every result up to the pipeline's Sync (excluded). Waits in
    ``poll``, which lets other threads run."""
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLIN)
    while pgconn.flush():  # the server may be waiting for us to read before it reads on
        poller.modify(pgconn.socket, select.POLLIN | select.POLLOUT)
        if any(event & select.POLLIN for _, event in poller.poll()):
            pgconn.consume_input()
    poller.modify(pgconn.socket, select.POLLIN)
    results: list[pq.abc.PGresult] = []
    while True:
        while pgconn.is_busy():
            poller.poll()
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:  # the end of one statement's results
            continue
        if result.status == pq.ExecStatus.PIPELINE_SYNC:
            return results
        results.append(result)


def _lost(result: pq.abc.PGresult) -> bool:
    return (
        result.status == pq.ExecStatus.FATAL_ERROR
        and result.error_field(pq.DiagnosticField.SQLSTATE) == _NOT_PREPARED
    )


def _rows(
    connection: psycopg.Connection[Any], results: list[tuple[_Sent, pq.abc.PGresult]], count: int
) -> list[list[Any]]:
    """Each query's rows; the first error raised."""
    encoding = connection.info.encoding
    for _, result in results:
        if result.status == pq.ExecStatus.FATAL_ERROR:
            raise errors.error_from_result(result, encoding=encoding)
    answers = [r for what, r in results if what and what[0] == "execute"]
    if len(answers) != count or any(r.status != pq.ExecStatus.TUPLES_OK for r in answers):
        raise psycopg.InterfaceError(f"{count} reads sent, not all answered with rows")
    transformer = Transformer(connection)
    rows = []
    for result in answers:
        transformer.set_pgresult(result)
        names = tuple((result.fname(i) or b"").decode(encoding) for i in range(result.nfields))
        rows.append(transformer.load_rows(0, result.ntuples, _row_type(names)._make))
    return rows


@functools.cache
def _positional(sql: str) -> tuple[bytes, tuple[str, ...]]:
    """psycopg's ``%(name)s`` placeholders as PostgreSQL's ``$1``…, and the names in order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(0) == "%%":
            return "%"
        if match.group(1) is None:
            raise ValueError(f"only %(name)s placeholders can be sent ahead: {sql!r}")
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return _PLACEHOLDER.sub(number, sql).encode(), tuple(names)


@functools.cache
def _row_type(names: tuple[str, ...]) -> Any:
    return namedtuple("Row", names, rename=True)


def _begin(connection: psycopg.Connection[Any]) -> bytes:
    """The BEGIN psycopg itself would send for this connection's settings."""
    parts = [b"BEGIN"]
    if connection.isolation_level is not None:
        parts += [b"ISOLATION LEVEL", connection.isolation_level.name.replace("_", " ").encode()]
    if connection.read_only is not None:
        parts.append(b"READ ONLY" if connection.read_only else b"READ WRITE")
    if connection.deferrable is not None:
        parts.append(b"DEFERRABLE" if connection.deferrable else b"NOT DEFERRABLE")
    return b" ".join(parts)
