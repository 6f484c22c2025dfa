"""Lock exceptions: an organization asks to change a locked quarter (reason, interventions
concerned); the ministry grants it until a date, or refuses it. A granted exception lapses by
itself the day after ``valid_until`` — no event is needed for a date to pass."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from gsi_kernel.errors import Conflict, InvalidInput, NotFound
from gsi_kernel.events import DomainEvent
from gsi_kernel.fiscal import FiscalQuarter

MAX_VALIDITY_DAYS = 90


class LockExceptionRequested(DomainEvent):
    event_type = "LockExceptionRequested"

    exception_id: str
    organization_id: str
    quarter: str
    reason: str
    intervention_ids: tuple[str, ...] = ()


class LockExceptionGranted(DomainEvent):
    event_type = "LockExceptionGranted"

    exception_id: str
    organization_id: str
    quarter: str
    valid_until: date
    reason: str | None = None


class LockExceptionRefused(DomainEvent):
    event_type = "LockExceptionRefused"

    exception_id: str
    organization_id: str
    quarter: str
    reason: str


EVENTS = (LockExceptionRequested, LockExceptionGranted, LockExceptionRefused)


@dataclass(frozen=True, slots=True)
class LockException:
    exception_id: str
    organization_id: str
    quarter: str
    status: str  # requested | granted | refused
    valid_until: date | None


def fold(history: Sequence[DomainEvent]) -> LockException | None:
    state: LockException | None = None
    for event in history:
        if isinstance(event, LockExceptionRequested):
            state = LockException(event.exception_id, event.organization_id, event.quarter, "requested", None)
        elif state is not None and isinstance(event, LockExceptionGranted):
            state = LockException(
                state.exception_id, state.organization_id, state.quarter, "granted", event.valid_until
            )
        elif state is not None and isinstance(event, LockExceptionRefused):
            state = LockException(state.exception_id, state.organization_id, state.quarter, "refused", None)
    return state


def request(
    history: Sequence[DomainEvent],
    *,
    exception_id: str,
    organization_id: str,
    quarter: str,
    reason: str,
    intervention_ids: Sequence[str],
    quarter_locked: bool,
) -> list[DomainEvent]:
    if history:
        raise Conflict("lock_exception.exists", "Cette demande existe déjà.", "This request already exists.")
    try:
        FiscalQuarter.parse(quarter)
    except ValueError:
        raise InvalidInput(
            "lock_exception.bad_quarter",
            f"Trimestre invalide « {quarter} » (attendu p. ex. 2026-2027-Q1).",
            f"Invalid quarter “{quarter}” (expected e.g. 2026-2027-Q1).",
            details={"field": "quarter"},
        ) from None
    if not quarter_locked:
        raise Conflict(
            "lock_exception.quarter_not_locked",
            f"Le trimestre {quarter} n'est pas verrouillé : aucune exception n'est nécessaire.",
            f"Quarter {quarter} is not locked: no exception is needed.",
            details={"quarter": quarter},
        )
    return [
        LockExceptionRequested(
            exception_id=exception_id,
            organization_id=organization_id,
            quarter=quarter,
            reason=reason,
            intervention_ids=tuple(intervention_ids),
        )
    ]


def grant(
    history: Sequence[DomainEvent], *, valid_until: date, today: date, reason: str | None
) -> list[DomainEvent]:
    state = _pending(history)
    if valid_until < today or (valid_until - today).days > MAX_VALIDITY_DAYS:
        raise InvalidInput(
            "lock_exception.bad_validity",
            f"La date de fin doit être entre aujourd'hui et {MAX_VALIDITY_DAYS} jours plus tard.",
            f"The end date must be between today and {MAX_VALIDITY_DAYS} days later.",
            details={"field": "valid_until"},
        )
    return [
        LockExceptionGranted(
            exception_id=state.exception_id,
            organization_id=state.organization_id,
            quarter=state.quarter,
            valid_until=valid_until,
            reason=reason,
        )
    ]


def refuse(history: Sequence[DomainEvent], *, reason: str) -> list[DomainEvent]:
    state = _pending(history)
    return [
        LockExceptionRefused(
            exception_id=state.exception_id,
            organization_id=state.organization_id,
            quarter=state.quarter,
            reason=reason,
        )
    ]


def _pending(history: Sequence[DomainEvent]) -> LockException:
    state = fold(history)
    if state is None:
        raise NotFound(
            "lock_exception.not_found", "Demande d'exception introuvable.", "Lock exception not found."
        )
    if state.status != "requested":
        raise Conflict(
            "lock_exception.already_decided",
            f"Cette demande est déjà traitée (état : {state.status}).",
            f"This request was already decided (state: {state.status}).",
            details={"status": state.status},
        )
    return state


def covers(status: str, valid_until: date | None, today: date) -> bool:
    """Whether a lock exception lets its organization write in its quarter today."""
    return status == "granted" and valid_until is not None and today <= valid_until
