"""Regionalization follow-ups' use cases: open one for a person who settled in a region, record
each checkpoint's outcome; read, list, and find the checkpoints falling due."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select

from gsi_kernel.auth import Principal, may_read_organization
from gsi_kernel.clock import Clock, montreal_date
from gsi_kernel.envelope import CommandContext
from gsi_kernel.errors import NotFound
from gsi_kernel.store.database import Database
from gsi_kernel.store.queries import fetch_one, fetch_page, scoped_to_principal
from gsi_kernel.writer import StreamWriter
from interventions.regionalization import domain as reg
from interventions.regionalization.projection import (
    REGIONALIZATION_STREAM,
    regionalization_checkpoints,
    regionalization_follow_ups,
)
from interventions.registration_persons import require_own_person


class RegionalizationFollowUps:
    def __init__(
        self,
        *,
        db: Database,
        writer: StreamWriter,
        clock: Clock,
        checkpoint_months: tuple[int, ...] = reg.CHECKPOINT_MONTHS,
    ) -> None:
        self._db = db
        self._writer = writer
        self._clock = clock
        self._checkpoint_months = checkpoint_months

    def open(
        self,
        person_id: str,
        destination_region: str,
        opened_on: date,
        *,
        organization_id: str,
        context: CommandContext,
    ) -> str:
        """Open a follow-up for a person the organization registered; return its id."""
        require_own_person(self._db, person_id, organization_id, code="regionalization.unknown_person")
        follow_up_id = str(uuid.uuid4())
        command = reg.OpenFollowUp(
            follow_up_id=follow_up_id,
            organization_id=organization_id,
            person_id=person_id,
            destination_region=destination_region,
            opened_on=opened_on,
            today=self._today(),
            checkpoint_months=self._checkpoint_months,
        )
        self._writer.execute(
            _stream(follow_up_id), lambda h: reg.open_follow_up(h, command), context, new_stream=True
        )
        return follow_up_id

    def record_checkpoint(
        self,
        follow_up_id: str,
        *,
        months: int,
        outcome: reg.CheckpointOutcome,
        recorded_on: date,
        new_region: str | None,
        note: str | None,
        organization_id: str,
        context: CommandContext,
    ) -> None:
        command = reg.RecordCheckpoint(
            organization_id, months, outcome, recorded_on, self._today(), new_region, note
        )
        self._writer.execute(_stream(follow_up_id), lambda h: reg.record_checkpoint(h, command), context)

    def get(self, follow_up_id: str, principal: Principal) -> dict[str, Any]:
        """The follow-up with its checkpoints (planned and recorded)."""
        f = regionalization_follow_ups.c
        row = fetch_one(self._db, select(regionalization_follow_ups).where(f.follow_up_id == follow_up_id))
        if row is None or not may_read_organization(principal, row["organization_id"]):
            raise NotFound(
                "regionalization.not_found",
                "Suivi de régionalisation introuvable.",
                "Regionalization follow-up not found.",
            )
        c = regionalization_checkpoints.c
        query = select(regionalization_checkpoints).where(c.follow_up_id == follow_up_id).order_by(c.months)
        with self._db.transaction() as connection:
            row["checkpoints"] = [dict(r._mapping) for r in connection.execute(query)]
        return row

    def search(
        self,
        principal: Principal,
        *,
        person_id: str | None,
        status: str | None,
        offset: int,
        limit: int,
    ) -> tuple[list[dict[str, Any]], int]:
        f = regionalization_follow_ups.c
        query = scoped_to_principal(select(regionalization_follow_ups), f.organization_id, principal)
        if person_id is not None:
            query = query.where(f.person_id == person_id)
        if status is not None:
            query = query.where(f.status == status)
        return fetch_page(self._db, query, f.opened_on.desc(), f.follow_up_id, offset=offset, limit=limit)

    def due(
        self, principal: Principal, *, before: date, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """Checkpoints due before ``before`` with no outcome yet, oldest due first."""
        c = regionalization_checkpoints.c
        query = scoped_to_principal(select(regionalization_checkpoints), c.organization_id, principal)
        query = query.where(c.outcome.is_(None), c.due_on < before)
        order = (c.due_on, c.follow_up_id, c.months)
        return fetch_page(self._db, query, *order, offset=offset, limit=limit)

    def _today(self) -> date:
        return montreal_date(self._clock.now())


def _stream(follow_up_id: str) -> str:
    return f"{REGIONALIZATION_STREAM}{follow_up_id}"
