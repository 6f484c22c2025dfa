"""Which :class:`~gsi_kernel.store.ports.Backend` a database is: chosen by URL when the
:class:`~gsi_kernel.store.database.Database` is built, found from a ``Connection`` by
:func:`backend_of`. The one place outside the backends' own modules that looks at the dialect."""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from gsi_kernel.store.ports import Backend
from gsi_kernel.store.postgres import POSTGRES
from gsi_kernel.store.sqlite import SQLITE

_BY_NAME: dict[str, Backend] = {POSTGRES.name: POSTGRES, SQLITE.name: SQLITE}


def backend_for_url(url: str) -> Backend:
    name = make_url(url).get_backend_name()
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(f"no storage backend for {name!r} URLs (PostgreSQL or SQLite)") from None


def backend_of(connection: Connection) -> Backend:
    """The backend of the database ``connection`` is open on."""
    return _BY_NAME[connection.dialect.name]
