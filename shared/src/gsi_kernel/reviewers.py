"""Which organizations a ministry reviewer may read and control: GSI's own registry, never the
token (ADR 23).

Reporting keeps the reviewer assignments and publishes each assignment and removal; every
service keeps them in a table with an ``organization_id`` and a ``reviewer_id`` column (reporting:
its own registry table; the others: ``gsi_readmodels.reviewers``, filled by their consumers).
On each request of a reviewer, :func:`gsi_kernel.http.security.authenticate` asks this registry
for the organizations, so an assignment or a removal counts at once, with no new token; the
token's ``assigned_orgs`` claim, if any, is ignored (:func:`gsi_kernel.auth._principal`).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Table, bindparam, select

from gsi_kernel.auth import Principal, Role
from gsi_kernel.store.database import Database


class ReviewerRegistry:
    """The organizations assigned to each reviewer, read from ``table`` on every call (no cache:
    a removal must refuse the very next request, on every serving process)."""

    def __init__(self, db: Database, table: Table) -> None:
        self._db = db
        wanted = bindparam("reviewer_id", type_=table.c.reviewer_id.type)
        self._query = select(table.c.organization_id).where(table.c.reviewer_id == wanted)

    def organizations_of(self, reviewer_id: str) -> frozenset[str]:
        with self._db.transaction() as connection:
            rows = connection.execute(self._query, {"reviewer_id": reviewer_id}).scalars()
            return frozenset(str(r) for r in rows)

    def principal_with_assignments(self, principal: Principal) -> Principal:
        """``principal`` with its assigned organizations from the registry (a reviewer; anyone
        else has none, and is returned as is)."""
        if Role.MINISTRY_REVIEWER not in principal.roles:
            return principal
        return replace(principal, assigned_organizations=self.organizations_of(principal.user_id))
