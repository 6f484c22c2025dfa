"""Loi 25 duties: erasure (crypto-shredding), export of everything held on a person, and the
retention job that erases persons inactive for too long.

After an erasure, or a retention batch, has committed, the files of the tables that held the
person's plaintext (names, search keys) and their wrapped key are purged, so that nothing of it
stays readable on disk (ADR 19); a purge that cannot run at once stays owed, and the retention
worker pays it on its next pass."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, select

from gsi_kernel.auth import Principal
from gsi_kernel.clock import Clock
from gsi_kernel.envelope import CommandContext
from gsi_kernel.privacy.tables import subject_keys
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.store.purge import Purge
from gsi_kernel.writer import StreamWriter
from registration.persons import domain as person
from registration.persons import events as ev
from registration.persons.file_numbers import release_uci
from registration.persons.queries import AccessPurpose, PersonQueries
from registration.privacy.vault import PersonVault
from registration.tables import (
    ERASURE_PURGE,
    access_log,
    document_contents,
    documents,
    name_tokens,
    persons,
)

# The tables whose rows held an erased person's plaintext or their key. Document contents,
# sealed under that key, are left to the crypto-shredding: rewriting them would copy every file.
PURGED_ON_ERASURE = (persons, name_tokens, subject_keys)


class Privacy:
    def __init__(
        self,
        *,
        db: Database,
        store: EventStore,
        writer: StreamWriter,
        clock: Clock,
        vault: PersonVault,
        queries: PersonQueries,
        retention_years: int,
    ) -> None:
        self.retention_years = retention_years
        self._db = db
        self._store = store
        self._writer = writer
        self._clock = clock
        self._vault = vault
        self._queries = queries
        self._purge = Purge(db, ERASURE_PURGE, PURGED_ON_ERASURE, clock)

    def erase(self, person_id: str, reason: str, principal: Principal, context: CommandContext) -> None:
        """Destroy the person's key (their personal data becomes unreadable in every event and
        copy) and the documents, then purge the files; events, ids and counts stay. Erasing an
        erased person again changes nothing."""
        self._queries.row(person_id, principal)
        self._erase(person_id, reason, context)
        self.purge()

    def purge(self) -> bool:
        """Pay the purge the erasures owe (ADR 19); False when it must wait (still owed)."""
        return self._purge.pay()

    def _erase(self, person_id: str, reason: str, context: CommandContext) -> None:
        with self._db.transaction() as connection:
            stream = f"person-{person_id}"
            self._writer.execute(stream, lambda h: person.erase(h, reason), context, connection=connection)
            self._vault.shred(connection, person_id, self._clock.now())
            release_uci(connection, person_id)
            connection.execute(delete(document_contents).where(document_contents.c.person_id == person_id))

    def export(self, person_id: str, principal: Principal) -> dict[str, Any]:
        """Everything held on the person, in one structured document (Loi 25, art. 27); for an
        erased person, that is the erasure record alone."""
        row = self._queries.row(person_id, principal)
        self._queries.log_access(person_id, principal, AccessPurpose.PERSON_REQUEST, "export")
        if row["erased"]:
            return self._queries.erasure(person_id).record()
        with self._db.transaction() as connection:
            history = self._store.load(connection, f"person-{person_id}")
            events = [
                self._exported_event(connection, person_id, e.type, e.schema_version, e.payload)
                for e in history
            ]
            metas = [
                dict(r._mapping)
                for r in connection.execute(select(documents).where(documents.c.person_id == person_id))
            ]
            for meta in metas:
                sealed = connection.execute(
                    select(document_contents.c.sealed).where(
                        document_contents.c.document_id == meta["document_id"]
                    )
                ).scalar_one_or_none()
                content = self._vault.open_document(connection, person_id, sealed) if sealed else None
                meta["content_base64"] = base64.b64encode(content).decode() if content else None
            reads = [
                dict(r._mapping)
                for r in connection.execute(
                    select(access_log).where(access_log.c.person_id == person_id).order_by(access_log.c.at)
                )
            ]
        return {
            "format": "gsi.person-export.v1",
            "exported_at": self._clock.now(),
            "person": row,
            "history": [
                {"type": e.type, "occurred_at": e.occurred_at, "actor": e.actor, "data": data}
                for e, data in zip(history, events, strict=True)
            ],
            "documents": metas,
            "access_log": reads,
        }

    def _exported_event(
        self, connection: Connection, person_id: str, type_: str, version: int, payload: dict[str, Any]
    ) -> dict[str, Any]:
        decoded = ev.EVENTS.decode(type_, version, payload).model_dump(mode="json")
        if "pii" in decoded:
            decoded["pii"] = self._vault.open(connection, person_id, decoded["pii"])  # None once erased
        return decoded

    def run_retention(self, years: int, context: CommandContext) -> list[str]:
        """Erase every person with no activity for ``years`` years; return their ids."""
        cutoff = self._clock.now() - timedelta(days=round(365.25 * years))
        with self._db.transaction() as connection:
            stale = [
                r.person_id
                for r in connection.execute(
                    select(persons.c.person_id).where(
                        persons.c.erased.is_(False), persons.c.last_activity_at < cutoff
                    )
                )
            ]
        for person_id in stale:
            self._erase(person_id, f"retention: inactive since before {_day(cutoff)}", context)
        if stale:
            self.purge()  # once for the whole batch
        return stale


def _day(instant: datetime) -> str:
    return instant.date().isoformat()
