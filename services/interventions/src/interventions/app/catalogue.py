"""The intervention catalogue: read the versions, publish a new one (admin)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection

from gsi_conformity import Catalogue
from gsi_kernel.envelope import CommandContext
from gsi_kernel.errors import InvalidInput
from gsi_kernel.events import DomainEvent
from gsi_kernel.runtime import Kernel
from interventions.app.handlers import Admission
from interventions.domain import catalogue


class CatalogueAdmin:
    def __init__(self, kernel: Kernel, admission: Admission, *, program: str) -> None:
        self._kernel = kernel
        self._admission = admission
        self._program = program

    def versions(self) -> list[dict[str, Any]]:
        with self._kernel.db.transaction() as connection:
            book = self._admission.knowledge.catalogue_book(connection, self._admission.today())
        return [c.to_document() for c in book.versions(self._program)]

    def in_force(self, day: date | None) -> dict[str, Any]:
        today = self._admission.today()
        with self._kernel.db.transaction() as connection:
            book = self._admission.knowledge.catalogue_book(connection, today)
        return book.for_date(self._program, day or today).to_document()

    def publish(self, document: dict[str, Any], *, context: CommandContext) -> dict[str, Any]:
        """Publish a new version; it takes effect on its ``effective_from`` (tomorrow at the
        earliest: no retroactive catalogue)."""
        try:
            new = Catalogue.from_document(document)
        except ValidationError as error:
            raise InvalidInput(
                "catalogue.invalid",
                "Catalogue invalide : " + "; ".join(e["msg"] for e in error.errors()[:5]),
                "Invalid catalogue: " + "; ".join(e["msg"] for e in error.errors()[:5]),
                details={"errors": [{"loc": list(e["loc"]), "msg": e["msg"]} for e in error.errors()[:20]]},
            ) from None
        gate = self._admission
        today = gate.today()

        def decide(connection: Connection, history: list[DomainEvent]) -> list[DomainEvent]:
            book = gate.knowledge.catalogue_book(connection, today)
            return catalogue.publish(history, book=book, catalogue=new, today=today)

        self._kernel.writer.execute_with(catalogue.stream_id(new.program), decide, context)
        gate.knowledge.forget_books()
        return new.to_document()
