"""Reading past imports: an organization's imports, newest first, and a page of an import's
errors (the rows a person reads on screen; the whole list is the error file)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gsi_kernel.auth import Principal
from gsi_kernel.store.database import Database
from gsi_kernel.store.queries import fetch_page, scoped_to_principal
from interventions.imports.app import Imports
from interventions.tables import import_errors
from interventions.tables import imports as import_jobs


class ImportHistory:
    def __init__(self, *, db: Database, imports: Imports) -> None:
        self._db = db
        self._imports = imports

    def imports(
        self, principal: Principal, *, status: str | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """The imports the principal may read, newest first."""
        query = scoped_to_principal(select(import_jobs), import_jobs.c.organization_id, principal)
        if status is not None:
            query = query.where(import_jobs.c.status == status)
        order = (import_jobs.c.started_at.desc(), import_jobs.c.import_id)
        return fetch_page(self._db, query, *order, offset=offset, limit=limit)

    def errors(
        self, import_id: str, principal: Principal, *, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of the import's errors in file order (the import must be readable)."""
        self._imports.get(import_id, principal)
        query = select(import_errors).where(import_errors.c.import_id == import_id)
        return fetch_page(self._db, query, import_errors.c.seq, offset=offset, limit=limit)
