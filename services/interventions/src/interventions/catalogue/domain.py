"""Publishing a new version of the intervention catalogue (admin). The catalogue itself —
codes, volets, constraints, effective dates, the publishing rules — is ``gsi_conformity``'s, the
package the reporting service checks with too; this stream records each published version."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from gsi_conformity import Catalogue, CatalogueBook
from gsi_kernel.events import DomainEvent


class CataloguePublished(DomainEvent):
    event_type = "CataloguePublished"

    program: str
    version: str
    effective_from: date
    document: dict[str, Any]
    reason: str = ""  # the administrator's, shown with the version (none before it was asked)


EVENTS = (CataloguePublished,)


def stream_id(program: str) -> str:
    return f"catalogue-{program}"


def publish(
    _history: Sequence[DomainEvent],
    *,
    book: CatalogueBook,
    catalogue: Catalogue,
    today: date,
    reason: str = "",
) -> list[DomainEvent]:
    """Refuse what the book refuses (duplicate version, not after the latest, retroactive). A
    preview calls it too and discards the events: it refuses exactly what publishing refuses."""
    book.publish(catalogue, today=today)
    return [
        CataloguePublished(
            program=catalogue.program,
            version=catalogue.version,
            effective_from=catalogue.effective_from,
            document=catalogue.to_document(),
            reason=reason,
        )
    ]
