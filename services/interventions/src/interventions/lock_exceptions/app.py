"""Lock exceptions: an organization asks to change a locked quarter; the ministry (a reviewer
assigned to the organization, or an admin) grants it until a date or refuses it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy import Connection, select

from gsi_kernel.auth import Principal, Role, may_read_organization
from gsi_kernel.envelope import CommandContext
from gsi_kernel.errors import Forbidden, NotFound
from gsi_kernel.events import DomainEvent
from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.store.database import Database
from gsi_kernel.store.queries import fetch_one, fetch_page, scoped_to_principal
from gsi_kernel.writer import StreamWriter
from interventions.declarations.admission import Admission
from interventions.lock_exceptions import domain as lock_exception
from interventions.lock_exceptions.domain import covers
from interventions.tables import interventions, lock_exceptions, quarter_locks


def stream_id(exception_id: str) -> str:
    return f"lock-exception-{exception_id}"


class LockExceptions:
    def __init__(self, *, db: Database, writer: StreamWriter, admission: Admission) -> None:
        self._db = db
        self._writer = writer
        self._admission = admission

    def request(
        self,
        quarter: str,
        *,
        reason: str,
        intervention_ids: Sequence[str],
        organization_id: str,
        context: CommandContext,
    ) -> str:
        """File a request to change a locked quarter; return its id."""
        exception_id = str(uuid.uuid4())

        def decide(connection: Connection, history: list[DomainEvent]) -> list[DomainEvent]:
            _refuse_unknown(connection, organization_id, intervention_ids)
            return lock_exception.request(
                history,
                exception_id=exception_id,
                organization_id=organization_id,
                quarter=quarter,
                reason=reason,
                intervention_ids=intervention_ids,
                quarter_locked=_is_locked(connection, organization_id, quarter),
            )

        with self._db.transaction() as connection:
            self._writer.execute(
                stream_id(exception_id),
                partial(decide, connection),
                context,
                new_stream=True,
                connection=connection,
            )
        return exception_id

    def grant(
        self,
        exception_id: str,
        *,
        valid_until: date,
        reason: str | None,
        principal: Principal,
        context: CommandContext,
    ) -> None:
        self._may_decide(exception_id, principal)
        today = self._admission.today()
        self._writer.execute(
            stream_id(exception_id),
            lambda history: lock_exception.grant(
                history, valid_until=valid_until, today=today, reason=reason
            ),
            context,
        )

    def refuse(
        self, exception_id: str, *, reason: str, principal: Principal, context: CommandContext
    ) -> None:
        self._may_decide(exception_id, principal)
        self._writer.execute(
            stream_id(exception_id), lambda history: lock_exception.refuse(history, reason=reason), context
        )

    def get(self, exception_id: str, principal: Principal) -> dict[str, Any]:
        row = fetch_one(
            self._db, select(lock_exceptions).where(lock_exceptions.c.exception_id == exception_id)
        )
        if row is None or not may_read_organization(principal, row["organization_id"]):
            raise NotFound(
                "lock_exception.not_found", "Demande d'exception introuvable.", "Lock exception not found."
            )
        return _with_state(row, self._admission.today())

    def list(
        self, principal: Principal, *, status: str | None, offset: int, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        query = scoped_to_principal(select(lock_exceptions), lock_exceptions.c.organization_id, principal)
        if status is not None:
            query = query.where(lock_exceptions.c.status == status)
        order = (lock_exceptions.c.requested_at.desc(), lock_exceptions.c.exception_id)
        rows, total = fetch_page(self._db, query, *order, offset=offset, limit=limit)
        today = self._admission.today()
        return [_with_state(r, today) for r in rows], total

    def _may_decide(self, exception_id: str, principal: Principal) -> None:
        row = self.get(exception_id, principal)  # not found for whoever may not read it
        if Role.ADMIN in principal.roles:
            return
        if (
            Role.MINISTRY_REVIEWER in principal.roles
            and row["organization_id"] in principal.assigned_organizations
        ):
            return
        raise Forbidden(
            "lock_exception.not_assigned",
            "Seul le ministère (conseillère assignée ou administration) décide d'une exception.",
            "Only the ministry (the assigned reviewer or an admin) decides on an exception.",
        )


def _is_locked(connection: Connection, organization_id: str, quarter: str) -> bool:
    try:
        FiscalQuarter.parse(quarter)
    except ValueError:
        return False  # the decision refuses the quarter itself, with its own code
    locked = connection.execute(
        select(quarter_locks.c.locked).where(
            quarter_locks.c.organization_id == organization_id, quarter_locks.c.quarter == quarter
        )
    ).scalar()
    return bool(locked)


def _with_state(row: dict[str, Any], today: date) -> dict[str, Any]:
    """``state`` adds the passing of time to the recorded status: a granted exception whose last
    day is past is ``expired``."""
    expired = row["status"] == "granted" and not covers(row["status"], row["valid_until"], today)
    return {**row, "state": "expired" if expired else row["status"]}


def _refuse_unknown(connection: Connection, organization_id: str, intervention_ids: Sequence[str]) -> None:
    """Only the organization's own interventions may be named (another's is "not found")."""
    if not intervention_ids:
        return
    known = set(
        connection.execute(
            select(interventions.c.intervention_id).where(
                interventions.c.intervention_id.in_(sorted(set(intervention_ids))),
                interventions.c.organization_id == organization_id,
            )
        ).scalars()
    )
    unknown = sorted(set(intervention_ids) - known)
    if unknown:
        raise NotFound(
            "intervention.not_found",
            "Intervention introuvable.",
            "Intervention not found.",
            details={"intervention_ids": unknown},
        )
