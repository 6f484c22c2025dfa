"""The confidentiality-incident register's use cases (administrators): record an incident,
correct its facts, record notices and measures, close it; list and read the register."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, select

from gsi_kernel.clock import Clock, montreal_date
from gsi_kernel.envelope import CommandContext
from gsi_kernel.errors import NotFound
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.store.queries import fetch_one, fetch_page
from gsi_kernel.writer import Decide, StreamWriter
from registration.incidents import domain as inc
from registration.incidents.events import IncidentFacts, NoticeRecipient
from registration.incidents.projection import incidents


class IncidentRegister:
    def __init__(self, *, db: Database, store: EventStore, writer: StreamWriter, clock: Clock) -> None:
        self._db = db
        self._store = store
        self._writer = writer
        self._clock = clock

    def _today(self) -> date:
        return montreal_date(self._clock.now())

    def record(self, facts: IncidentFacts, context: CommandContext) -> str:
        incident_id = str(uuid.uuid4())
        today = self._today()
        self._writer.execute(
            inc.incident_stream(incident_id),
            lambda history: inc.record(history, incident_id, facts, today),
            context,
            new_stream=True,
        )
        return incident_id

    def correct(
        self, incident_id: str, changes: dict[str, Any], reason: str, context: CommandContext
    ) -> None:
        today = self._today()
        self._execute(incident_id, lambda history: inc.correct(history, changes, reason, today), context)

    def send_notice(
        self, incident_id: str, recipient: NoticeRecipient, sent_on: date, context: CommandContext
    ) -> None:
        today = self._today()
        self._execute(
            incident_id, lambda history: inc.send_notice(history, recipient, sent_on, today), context
        )

    def take_measure(
        self, incident_id: str, description: str, taken_on: date, context: CommandContext
    ) -> None:
        today = self._today()
        self._execute(
            incident_id, lambda history: inc.take_measure(history, description, taken_on, today), context
        )

    def close(self, incident_id: str, reason: str, context: CommandContext) -> None:
        self._execute(incident_id, lambda history: inc.close(history, reason), context)

    def _execute(self, incident_id: str, decide: Decide, context: CommandContext) -> None:
        self._writer.execute(inc.incident_stream(incident_id), decide, context)

    def get(self, incident_id: str) -> dict[str, Any]:
        """The register entry, and its history: every change, who made it and when."""
        row = fetch_one(self._db, select(incidents).where(incidents.c.incident_id == incident_id))
        if row is None:
            raise NotFound("incident.not_found", "Incident introuvable.", "Incident not found.")
        with self._db.transaction() as connection:
            history = self._store.load(connection, inc.incident_stream(incident_id))
        row["history"] = [
            {"event": e.type, "at": e.recorded_at, "by": e.actor, "reason": e.payload.get("reason")}
            for e in history
        ]
        return _with_retention(row)

    def list(
        self,
        *,
        status: str | None,
        detected_from: date | None,
        detected_to: date | None,
        offset: int,
        limit: int,
    ) -> tuple[list[dict[str, Any]], int]:
        """The register, most recently detected first."""
        query: Select[Any] = select(incidents)
        if status:
            query = query.where(incidents.c.status == status)
        if detected_from:
            query = query.where(incidents.c.detected_on >= detected_from)
        if detected_to:
            query = query.where(incidents.c.detected_on <= detected_to)
        rows, total = fetch_page(
            self._db,
            query,
            incidents.c.detected_on.desc(),
            incidents.c.recorded_at.desc(),
            offset=offset,
            limit=limit,
        )
        return [_with_retention(r) for r in rows], total


def _with_retention(row: dict[str, Any]) -> dict[str, Any]:
    row["kept_until"] = inc.kept_until(row["detected_on"])
    return row
