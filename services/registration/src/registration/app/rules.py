"""The rule book every evaluation uses: the shipped default rule sets plus the versions
published since (the ``rule_sets`` read model)."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import select

from gsi_eligibility.rules import RuleBook, RuleSet, load_default_rulebook
from gsi_kernel.clock import montreal_date
from gsi_kernel.envelope import CommandContext
from gsi_kernel.runtime import Kernel
from registration.domain import rule_sets
from registration.projections.tables import rule_sets as rule_sets_table

# Published versions reach other processes of this service within this delay.
CACHE_SECONDS = 5.0


class RuleBooks:
    def __init__(self, kernel: Kernel) -> None:
        self._kernel = kernel
        self._lock = threading.Lock()
        self._book: RuleBook | None = None
        self._loaded_at = 0.0

    def current(self) -> RuleBook:
        with self._lock:
            if self._book is None or time.monotonic() - self._loaded_at > CACHE_SECONDS:
                self._book = self._load()
                self._loaded_at = time.monotonic()
            return self._book

    def publish(self, document: dict[str, Any], context: CommandContext) -> RuleSet:
        """Validate and publish a new rule-set version (admin); return it."""
        program = str(document.get("program", ""))
        book = self._load()  # fresh, not cached: the check must see every published version
        today = montreal_date(self._kernel.clock.now())
        recorded = self._kernel.writer.execute(
            rule_sets.rule_book_stream(program),
            lambda history: rule_sets.publish(history, document, book, today),
            context,
        )
        with self._lock:
            self._book = None
        return RuleSet.from_document(recorded[0].payload["document"])

    def versions(self) -> list[dict[str, Any]]:
        """Every version, shipped or published, with who published it and when."""
        query = select(rule_sets_table)
        with self._kernel.db.transaction() as connection:
            published = {(r.program, r.version): dict(r._mapping) for r in connection.execute(query)}
        return [
            published.get(
                (r.program, r.version),
                {"program": r.program, "version": r.version, "effective_from": r.effective_from},
            )
            for r in self._load()
        ]

    def _load(self) -> RuleBook:
        query = select(rule_sets_table.c.document).order_by(rule_sets_table.c.effective_from)
        with self._kernel.db.transaction() as connection:
            published = [RuleSet.from_document(d) for (d,) in connection.execute(query)]
        return RuleBook((*load_default_rulebook(), *published))
