"""The delivery log for the program's administrators: what was sent, what is retried, what is
dead and why — and sending a dead letter again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from gsi_kernel.envelope import CommandContext
from gsi_kernel.errors import ConcurrencyConflict, NotFound
from gsi_kernel.store.database import Database
from gsi_kernel.store.queries import fetch_one, fetch_page
from gsi_kernel.writer import StreamWriter
from notifications.deliveries import domain as delivery
from notifications.deliveries.projection import deliveries

CONFLICT_RETRIES = 5


@dataclass(frozen=True, slots=True)
class DeliveryFilters:
    status: str | None = None
    kind: str | None = None
    organization_id: str | None = None
    address: str | None = None  # compared without case


class DeliveryLog:
    def __init__(self, *, db: Database, writer: StreamWriter) -> None:
        self._db = db
        self._writer = writer

    def list(self, filters: DeliveryFilters, *, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Newest first."""
        c = deliveries.c
        query = select(deliveries)
        if filters.status:
            query = query.where(c.status == filters.status)
        if filters.kind:
            query = query.where(c.kind == filters.kind)
        if filters.organization_id:
            query = query.where(c.organization_id == filters.organization_id)
        if filters.address:
            query = query.where(func.lower(c.address) == filters.address.strip().lower())
        return fetch_page(self._db, query, c.created_at.desc(), c.delivery_id, offset=offset, limit=limit)

    def get(self, delivery_id: str) -> dict[str, Any]:
        row = fetch_one(self._db, select(deliveries).where(deliveries.c.delivery_id == delivery_id))
        if row is None:
            raise NotFound(
                "delivery.not_found",
                f"Aucun envoi de courriel {delivery_id}.",
                f"No e-mail delivery {delivery_id}.",
                details={"delivery_id": delivery_id},
            )
        return row

    def retry(self, delivery_id: str, context: CommandContext) -> dict[str, Any]:
        """Send a dead letter again: a new round of attempts, with the same Message-ID."""
        row = self.get(delivery_id)
        for attempt in range(CONFLICT_RETRIES):
            try:
                self._writer.execute(
                    row["stream_id"],
                    lambda history: delivery.request_retry(history, row["recipient"], context.actor),
                    context,
                )
                break
            except ConcurrencyConflict:  # a delivery worker appended to the notice meanwhile
                if attempt == CONFLICT_RETRIES - 1:
                    raise
        return self.get(delivery_id)
