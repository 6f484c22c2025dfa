"""The rows a batch of events creates for persons registered in it (their read-model row, name
tokens and first consents), inserted together: one multi-row INSERT per table, not one per
person (ADR 10)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from gsi_kernel.store.backend import backend_of
from registration.persons import events as ev
from registration.tables import consents, name_tokens, persons


class NewRows:
    """New persons' rows, name tokens and first consents, inserted together: one multi-row
    INSERT each."""

    def __init__(self) -> None:
        self.persons: list[dict[str, Any]] = []
        self.tokens: list[dict[str, Any]] = []
        self.consents: list[dict[str, Any]] = []
        self._new: set[str] = set()  # persons registered in this batch
        self._consented: set[tuple[str, str]] = set()

    def registered(self, person_id: str) -> None:
        self._new.add(person_id)

    def first_consent(self, person_id: str, e: ev.ConsentGiven) -> bool:
        """Take the consent as a new row if it is the first on this purpose of a person
        registered in this batch (no row can exist yet); otherwise leave it to its handler."""
        key = (person_id, str(e.purpose))
        if person_id not in self._new or key in self._consented:
            return False
        self._consented.add(key)
        self.consents.append({"person_id": person_id, "purpose": key[1], "given_at": e.given_at})
        return True

    def flush(self, c: Connection) -> None:
        rows = backend_of(c)
        rows.insert_rows(c, persons, self.persons)
        rows.insert_rows(c, name_tokens, self.tokens)
        rows.insert_rows(c, consents, self.consents)
        self.persons, self.tokens, self.consents = [], [], []
