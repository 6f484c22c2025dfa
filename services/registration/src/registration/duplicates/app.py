"""The duplicates review queue (admin): probable duplicates are never merged silently."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from gsi_kernel.envelope import CommandContext
from gsi_kernel.errors import NotFound
from gsi_kernel.store.database import Database
from gsi_kernel.store.queries import fetch_one, fetch_page
from gsi_kernel.writer import StreamWriter
from registration.persons import domain as person
from registration.tables import duplicate_queue, persons


class DuplicatesQueue:
    def __init__(self, *, db: Database, writer: StreamWriter) -> None:
        self._db = db
        self._writer = writer

    def pending(self, *, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        new, old = aliased(persons), aliased(persons)
        q = duplicate_queue.c
        query = (
            select(
                q.person_id,
                q.candidate_person_id,
                q.match,
                q.score,
                q.flagged_at,
                new.c.organization_id.label("organization_id"),
                old.c.organization_id.label("candidate_organization_id"),
                new.c.file_number,
                new.c.family_name,
                new.c.given_name,
                new.c.birth_date,
                old.c.file_number.label("candidate_file_number"),
                old.c.family_name.label("candidate_family_name"),
                old.c.given_name.label("candidate_given_name"),
            )
            .join(new, new.c.person_id == q.person_id)
            .join(old, old.c.person_id == q.candidate_person_id)
            .where(q.state == "open")
        )
        return fetch_page(self._db, query, q.flagged_at, q.person_id, offset=offset, limit=limit)

    def merge(self, person_id: str, candidate_person_id: str, reason: str, context: CommandContext) -> None:
        """The newer file ``person_id`` is the same person as ``candidate_person_id``: merge it there."""
        self._open(person_id, candidate_person_id)
        self._writer.execute(
            f"person-{person_id}", lambda h: person.merge_into(h, candidate_person_id, reason), context
        )

    def dismiss(self, person_id: str, candidate_person_id: str, reason: str, context: CommandContext) -> None:
        self._open(person_id, candidate_person_id)
        self._writer.execute(
            f"person-{person_id}", lambda h: person.dismiss_duplicate(h, candidate_person_id, reason), context
        )

    def _open(self, person_id: str, candidate_person_id: str) -> None:
        q = duplicate_queue.c
        row = fetch_one(
            self._db,
            select(q.state).where(q.person_id == person_id, q.candidate_person_id == candidate_person_id),
        )
        if row is None:
            raise NotFound("duplicate.not_found", "Doublon introuvable.", "Duplicate not found.")
