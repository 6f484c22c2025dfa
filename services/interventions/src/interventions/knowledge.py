"""What the service knows when it decides: persons (from registration's events), the rule sets
and catalogue versions in force, agreements' volets and quarter locks (from reporting's events)
and granted lock exceptions.

The rule and catalogue books are cached per Montréal day (for at most a minute): a version can
only take effect from the day after it is published, so a book loaded today stays right today.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Connection, bindparam, select

from gsi_conformity import CatalogueBook
from gsi_eligibility import RuleBook
from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.store.prepared import PreparedSelect, Read
from gsi_readmodels.cache import DailyCache
from gsi_readmodels.catalogues import catalogue_book
from gsi_readmodels.persons import PersonDirectory
from interventions.declarations.domain import PersonOnFile, QuarterLocks
from interventions.lock_exceptions.domain import LockException
from interventions.tables import (
    PERSONS,
    agreements,
    catalogue_versions,
    lock_exceptions,
    quarter_locks,
)


class Knowledge:
    def __init__(self, *, default_volets: frozenset[str]) -> None:
        self._default_volets = default_volets
        self._directory = PersonDirectory(PERSONS)
        self._cache = DailyCache()

    def forget_books(self) -> None:
        """A catalogue or rule set was just published here: reload on the next use."""
        self._cache.clear()

    # ---- persons --------------------------------------------------------------------------

    def person(self, connection: Connection, person_id: str) -> PersonOnFile | None:
        return self.persons(connection, [person_id]).get(person_id)

    def persons(self, connection: Connection, person_ids: Iterable[str]) -> dict[str, PersonOnFile]:
        """The persons by the id asked for; a merged person answers with the surviving person;
        unknown and erased persons are left out."""
        return self._directory.persons(connection, person_ids)

    def declaration_reads(self, organization_id: str, person_id: str) -> list[Read]:
        """The reads of this module a write for the person makes: the person, the
        organization's locks and agreements (to prefetch them, ADR 10)."""
        org = {"organization_id": organization_id}
        return [self._directory.read_of(person_id), (_LOCKED, org), (_AGREEMENTS, org)]

    # ---- books ----------------------------------------------------------------------------

    def rule_book(self, connection: Connection, today: date) -> RuleBook:
        return self._cache.get("rules", today, lambda: self._directory.rule_book(connection))

    def catalogue_book(self, connection: Connection, today: date) -> CatalogueBook:
        return self._cache.get("catalogue", today, lambda: catalogue_book(connection, catalogue_versions))

    # ---- agreements and locks -------------------------------------------------------------

    def agreement_volets(self, connection: Connection, organization_id: str, day: date) -> frozenset[str]:
        """The volets of the organization's agreement in force on ``day``; the configured default
        until reporting has published an agreement for the organization."""
        rows = _AGREEMENTS.all(connection, {"organization_id": organization_id})
        if not rows:
            return self._default_volets
        return frozenset(v for r in rows if r.starts_on <= day <= r.ends_on for v in r.volets.split(",") if v)

    def locked_quarters(self, connection: Connection, organization_id: str) -> frozenset[str]:
        """Every quarter locked for the organization, lock exceptions aside."""
        return frozenset(_LOCKED.scalars(connection, {"organization_id": organization_id}))

    def quarter_locks(
        self, connection: Connection, organization_id: str, among: Iterable[FiscalQuarter] | None = None
    ) -> QuarterLocks:
        """The organization's locked quarters, with the lock exceptions asked on those of
        ``among`` (on every locked one if None): what the aggregate decides a lock with.
        Exceptions are read only for locked quarters (most writes touch an open one)."""
        locked = self.locked_quarters(connection, organization_id)
        wanted = locked if among is None else locked & {str(quarter) for quarter in among}
        exceptions = tuple(
            LockException(r.exception_id, organization_id, quarter, r.status, r.valid_until)
            for quarter in sorted(wanted)
            for r in _EXCEPTIONS.all(connection, {"organization_id": organization_id, "quarter": quarter})
        )
        return QuarterLocks(locked, exceptions)

    def closed_quarters(
        self, connection: Connection, organization_id: str, today: date, among: Iterable[FiscalQuarter]
    ) -> frozenset[str]:
        """The organization's locked quarters, less those of ``among`` that a granted exception
        opens today: what check C7 warns about."""
        return self.quarter_locks(connection, organization_id, among).closed(today)


# Every write reads these: built once, not per request (building and keying a statement costs
# more Python than running it), and sent straight to the driver (ADR 10).
_AGREEMENTS = PreparedSelect(
    select(agreements.c.volets, agreements.c.starts_on, agreements.c.ends_on).where(
        agreements.c.organization_id == bindparam("organization_id")
    )
)
_EXCEPTIONS = PreparedSelect(
    select(lock_exceptions.c.exception_id, lock_exceptions.c.status, lock_exceptions.c.valid_until).where(
        lock_exceptions.c.organization_id == bindparam("organization_id"),
        lock_exceptions.c.quarter == bindparam("quarter"),
    )
)
_LOCKED = PreparedSelect(
    select(quarter_locks.c.quarter).where(
        quarter_locks.c.organization_id == bindparam("organization_id"), quarter_locks.c.locked.is_(True)
    )
)
