"""The intervention catalogue: read the versions, compare two, preview and publish a new one
(admin)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, func, select

from gsi_conformity import Catalogue, CatalogueBook
from gsi_kernel.document_changes import compare
from gsi_kernel.envelope import CommandContext
from gsi_kernel.errors import InvalidInput
from gsi_kernel.events import DomainEvent
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.writer import StreamWriter
from interventions.catalogue import domain as catalogue
from interventions.declarations.admission import Admission
from interventions.tables import interventions

# A catalogue's parts compared member by member: its codes.
COLLECTIONS = ("codes",)
# A code changed or removed: how many interventions named it over this many days before today.
IN_USE_DAYS = 365


class CatalogueAdmin:
    def __init__(
        self, *, db: Database, store: EventStore, writer: StreamWriter, admission: Admission, program: str
    ) -> None:
        self._db = db
        self._store = store
        self._writer = writer
        self._admission = admission
        self._program = program

    def versions(self) -> list[dict[str, Any]]:
        return [c.to_document() for c in self._book().versions(self._program)]

    def history(self) -> list[dict[str, Any]]:
        """Every version with who published it, when and why (a shipped version: no one)."""
        with self._db.transaction() as connection:
            recorded = self._store.load(connection, catalogue.stream_id(self._program))
        published = {
            e.payload["version"]: {
                "published_at": e.recorded_at,
                "published_by": e.actor,
                "reason": e.payload.get("reason") or None,
            }
            for e in recorded
        }
        return [
            {**_identity(c), **published.get(c.version, {})} for c in self._book().versions(self._program)
        ]

    def document(self, version: str) -> dict[str, Any]:
        """One version's whole document (404 for an unknown one)."""
        return self._book().get(self._program, version).to_document()

    def compare(self, before: str, after: str) -> dict[str, Any]:
        """What changes from version ``before`` to version ``after``."""
        book = self._book()
        old, new = book.get(self._program, before), book.get(self._program, after)
        return {**_identity(new), "against": _identity(old), **_changes(old, new)}

    def in_force(self, day: date | None) -> dict[str, Any]:
        today = self._admission.today()
        with self._db.transaction() as connection:
            book = self._admission.knowledge.catalogue_book(connection, today)
        return book.for_date(self._program, day or today).to_document()

    def preview(self, document: dict[str, Any]) -> dict[str, Any]:
        """What publishing ``document`` would change against the version in force on its
        effective date, after the very checks publishing makes; nothing is recorded."""
        new = _validated(document)
        book = self._book()
        catalogue.publish((), book=book, catalogue=new, today=self._admission.today())
        earlier = [c for c in book.versions(new.program) if c.effective_from <= new.effective_from]
        against = earlier[-1] if earlier else None
        changes = _changes(against, new)
        touched = [m["key"] for m in changes["members"] if m["kind"] != "added"]
        return {
            **_identity(new),
            "against": _identity(against) if against else None,
            **changes,
            "in_use": self._in_use(touched),
        }

    def _in_use(self, codes: list[str]) -> dict[str, int]:
        """Each code's active interventions of the last :data:`IN_USE_DAYS` days (every
        organization's): what a change to it would touch from now on."""
        if not codes:
            return {}
        since = self._admission.today() - timedelta(days=IN_USE_DAYS)
        query = (
            select(interventions.c.code, func.count())
            .where(interventions.c.code.in_(codes), interventions.c.service_date >= since)
            .where(interventions.c.status == "active")
            .group_by(interventions.c.code)
        )
        with self._db.transaction() as connection:
            counted = {str(code): int(n) for code, n in connection.execute(query)}
        return {code: counted.get(code, 0) for code in codes}

    def publish(
        self, document: dict[str, Any], *, context: CommandContext, reason: str = ""
    ) -> dict[str, Any]:
        """Publish a new version; it takes effect on its ``effective_from`` (tomorrow at the
        earliest: no retroactive catalogue)."""
        new = _validated(document)
        gate = self._admission
        today = gate.today()

        def decide(connection: Connection, history: list[DomainEvent]) -> list[DomainEvent]:
            book = gate.knowledge.catalogue_book(connection, today)
            return catalogue.publish(history, book=book, catalogue=new, today=today, reason=reason)

        with self._db.transaction() as connection:
            self._writer.execute(
                catalogue.stream_id(new.program), partial(decide, connection), context, connection=connection
            )
        gate.knowledge.forget_books()
        return new.to_document()

    def _book(self) -> CatalogueBook:
        with self._db.transaction() as connection:
            return self._admission.knowledge.catalogue_book(connection, self._admission.today())


def _validated(document: dict[str, Any]) -> Catalogue:
    try:
        return Catalogue.from_document(document)
    except ValidationError as error:
        raise InvalidInput(
            "catalogue.invalid",
            "Catalogue invalide : " + "; ".join(e["msg"] for e in error.errors()[:5]),
            "Invalid catalogue: " + "; ".join(e["msg"] for e in error.errors()[:5]),
            details={"errors": [{"loc": list(e["loc"]), "msg": e["msg"]} for e in error.errors()[:20]]},
        ) from None


def _identity(version: Catalogue) -> dict[str, Any]:
    return {"program": version.program, "version": version.version, "effective_from": version.effective_from}


def _changes(old: Catalogue | None, new: Catalogue) -> dict[str, Any]:
    return dict(compare(old.to_document() if old else None, new.to_document(), collections=COLLECTIONS))
