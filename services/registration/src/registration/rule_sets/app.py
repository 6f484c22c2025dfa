"""The rule book every evaluation uses: the shipped default rule sets plus the versions
published since (the ``rule_sets`` read model)."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import select

from gsi_eligibility.rules import RuleBook, RuleSet, load_default_rulebook
from gsi_kernel.clock import Clock, montreal_date
from gsi_kernel.document_changes import compare
from gsi_kernel.envelope import CommandContext
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.writer import StreamWriter
from registration.rule_sets import domain as rule_sets
from registration.tables import rule_sets as rule_sets_table

# Published versions reach other processes of this service within this delay.
CACHE_SECONDS = 5.0
# A rule set's parts compared member by member: its clauses, volets and statuses.
COLLECTIONS = ("rules", "volets", "statuses")


class RuleBooks:
    def __init__(self, *, db: Database, store: EventStore, writer: StreamWriter, clock: Clock) -> None:
        self._db = db
        self._store = store
        self._writer = writer
        self._clock = clock
        self._lock = threading.Lock()
        self._book: RuleBook | None = None
        self._loaded_at = 0.0

    def current(self) -> RuleBook:
        with self._lock:
            if self._book is None or time.monotonic() - self._loaded_at > CACHE_SECONDS:
                self._book = self._load()
                self._loaded_at = time.monotonic()
            return self._book

    def publish(self, document: dict[str, Any], context: CommandContext, reason: str = "") -> RuleSet:
        """Validate and publish a new rule-set version (admin); return it."""
        program = str(document.get("program", ""))
        book = self._load()  # fresh, not cached: the check must see every published version
        today = montreal_date(self._clock.now())
        recorded = self._writer.execute(
            rule_sets.rule_book_stream(program),
            lambda history: rule_sets.publish(history, document, book, today, reason),
            context,
        ).events
        with self._lock:
            self._book = None
        return RuleSet.from_document(recorded[0].payload["document"])

    def preview(self, document: dict[str, Any]) -> dict[str, Any]:
        """What publishing ``document`` would change against the version in force on its
        effective date, after the very checks publishing makes (their refusals raised as is);
        nothing is recorded."""
        book = self._load()
        today = montreal_date(self._clock.now())
        rule_sets.publish((), document, book, today)
        proposed = RuleSet.from_document(document)
        earlier = [r for r in book.versions(proposed.program) if r.effective_from <= proposed.effective_from]
        against = earlier[-1] if earlier else None
        return {
            **_identity(proposed),
            "against": _identity(against) if against else None,
            **compare(
                against.to_document() if against else None, proposed.to_document(), collections=COLLECTIONS
            ),
        }

    def document(self, program: str, version: str) -> dict[str, Any]:
        """One version's whole document (404 for an unknown one)."""
        return self._load().get(program, version).to_document()

    def compare(self, program: str, before: str, after: str) -> dict[str, Any]:
        """What changes from version ``before`` to version ``after`` of the program's rules."""
        book = self._load()
        old, new = book.get(program, before), book.get(program, after)
        return {
            **_identity(new),
            "against": _identity(old),
            **compare(old.to_document(), new.to_document(), collections=COLLECTIONS),
        }

    def versions(self) -> list[dict[str, Any]]:
        """Every version, shipped or published, with who published it, when and why."""
        query = select(rule_sets_table)
        book = self._load()
        with self._db.transaction() as connection:
            published = {(r.program, r.version): dict(r._mapping) for r in connection.execute(query)}
            reasons = {
                (e.payload["program"], e.payload["version"]): str(e.payload.get("reason", ""))
                for program in book.programs()
                for e in self._store.load(connection, rule_sets.rule_book_stream(program))
            }
        return [
            {
                **published.get((r.program, r.version), _identity(r)),
                "reason": reasons.get((r.program, r.version)) or None,
            }
            for r in book
        ]

    def _load(self) -> RuleBook:
        query = select(rule_sets_table.c.document).order_by(rule_sets_table.c.effective_from)
        with self._db.transaction() as connection:
            published = [RuleSet.from_document(d) for (d,) in connection.execute(query)]
        return RuleBook((*load_default_rulebook(), *published))


def _identity(rule_set: RuleSet) -> dict[str, Any]:
    return {
        "program": rule_set.program,
        "version": rule_set.version,
        "effective_from": rule_set.effective_from,
    }
