"""E-mail delivery of a notice, recipient by recipient: attempts, outcome, retries, dead letter.

Every step is an event on the notice's own stream, so the stream — appended with an expected
version — is what decides who may send: an attempt is sent only by the worker that recorded its
:class:`EmailAttemptStarted`, and none is started while another attempt of the same recipient is
in flight or once one was sent. The worker's lease on the delivery log only keeps instances from
trying the same rows; this is what makes a second e-mail impossible (ADR 13).

A recipient is its index in :attr:`NoticeRecorded.recipients`; several recipients with the same
address get one e-mail (the first one's language), each recipient without an address gets a
dead letter ``recipient.no_email`` (the notice stays in the inbox).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from gsi_kernel.errors import Conflict
from gsi_kernel.events import DomainEvent
from notifications.deliveries.addresses import address_problem
from notifications.deliveries.events import (
    EmailAttemptFailed,
    EmailAttemptStarted,
    EmailDeadLettered,
    EmailRetryRequested,
    EmailSent,
)
from notifications.notices.events import NoticeRecorded
from notifications.notices.values import Recipient

# Why an attempt failed or a delivery is dead. The first four are the message's own fault: no
# attempt can ever succeed, so they go to the dead letter at once.
NO_EMAIL = "recipient.no_email"
INVALID_EMAIL = "recipient.invalid_email"
TEMPLATE_ERROR = "template.error"
SMTP_REJECTED = "smtp.rejected"  # a 5xx answer to this message
SMTP_TEMPORARY = "smtp.temporary"  # a 4xx answer
SMTP_UNAVAILABLE = "smtp.unavailable"  # refused, unreachable, or dropped before the message
SMTP_TIMEOUT = "smtp.timeout"  # no answer in time, before the message was sent
SMTP_CONFIGURATION = "smtp.configuration"  # STARTTLS or login refused: the operator's to fix
IN_DOUBT = "delivery.in_doubt"  # the message went out but its answer never came back
MAX_ATTEMPTS = "delivery.max_attempts"
PERMANENT = frozenset({NO_EMAIL, INVALID_EMAIL, TEMPLATE_ERROR, SMTP_REJECTED})


class Status(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    RETRYING = "retrying"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class Failure:
    """Why an attempt did not deliver. ``code`` is one of the codes above."""

    code: str
    detail: str


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int  # per round: from the notice, or from an administrator's retry
    backoff: timedelta  # after the first failure; doubles after each one
    backoff_max: timedelta

    def delay(self, failed_attempts: int) -> timedelta:
        """The wait after the ``failed_attempts``-th failure of a round (1-based)."""
        doublings = min(max(failed_attempts - 1, 0), 60)  # 2**60 is far past any cap
        seconds = min(self.backoff.total_seconds() * 2.0**doublings, self.backoff_max.total_seconds())
        return timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class DeliveryState:
    status: Status = Status.PENDING
    attempts: int = 0  # attempts started, all rounds
    round_attempts: int = 0  # attempts started since the notice or the last retry request
    in_flight: int | None = None  # an attempt started whose outcome is not recorded
    next_attempt_at: datetime | None = None
    message_id: str | None = None


def state_of(history: Sequence[DomainEvent], recipient: int) -> DeliveryState:
    state = DeliveryState()
    for event in history:
        if getattr(event, "recipient", None) == recipient:
            state = _fold(state, event)
    return state


def _fold(state: DeliveryState, event: DomainEvent) -> DeliveryState:
    if isinstance(event, EmailAttemptStarted):
        return replace(
            state,
            attempts=event.attempt,
            round_attempts=state.round_attempts + 1,
            in_flight=event.attempt,
            message_id=event.message_id,
        )
    if isinstance(event, EmailSent):
        return replace(state, status=Status.SENT, in_flight=None, next_attempt_at=None)
    if isinstance(event, EmailAttemptFailed):
        return replace(state, status=Status.RETRYING, in_flight=None, next_attempt_at=event.next_attempt_at)
    if isinstance(event, EmailDeadLettered):
        return replace(state, status=Status.DEAD, in_flight=None, next_attempt_at=None)
    if isinstance(event, EmailRetryRequested):
        return replace(state, status=Status.PENDING, round_attempts=0, next_attempt_at=None)
    return state


def begin_attempt(
    history: Sequence[DomainEvent],
    recipient: int,
    *,
    address: str | None,
    message_id: str,
    problem: Failure | None,
    now: datetime,
) -> list[DomainEvent]:
    """Start the next attempt — or nothing, if it is done, not due yet, or being sent; a dead
    letter if it cannot be sent (``problem``) or if an attempt was started and never concluded:
    that message may have been accepted, so it is not sent again automatically."""
    state = state_of(history, recipient)
    if state.status in (Status.SENT, Status.DEAD):
        return []
    if state.next_attempt_at is not None and now < state.next_attempt_at:
        return []
    if state.in_flight is not None:
        detail = (
            f"attempt {state.in_flight} ({state.message_id}) was handed to the SMTP server and its "
            "outcome never recorded; check the server's log for that Message-ID before a retry"
        )
        return [_dead(recipient, address, state.attempts, IN_DOUBT, None, detail)]
    if problem is not None:
        return [_dead(recipient, address, state.attempts, problem.code, problem.code, problem.detail)]
    assert address is not None
    return [
        EmailAttemptStarted(
            recipient=recipient, address=address, attempt=state.attempts + 1, message_id=message_id
        )
    ]


def conclude_sent(history: Sequence[DomainEvent], started: EmailAttemptStarted) -> list[DomainEvent]:
    """The server accepted ``started``: record it — even over an in-doubt dead letter written in
    the meantime, since it is the truth — unless it is recorded already."""
    if state_of(history, started.recipient).status is Status.SENT:
        return []
    return [
        EmailSent(
            recipient=started.recipient,
            address=started.address,
            attempt=started.attempt,
            message_id=started.message_id,
        )
    ]


def conclude_failed(
    history: Sequence[DomainEvent],
    started: EmailAttemptStarted,
    failure: Failure,
    *,
    now: datetime,
    policy: RetryPolicy,
) -> list[DomainEvent]:
    """Retry later with a growing delay, or dead letter: at once for a permanent failure or an
    unknown outcome, after ``policy.max_attempts`` attempts of the round for a transient one."""
    state = state_of(history, started.recipient)
    if state.in_flight != started.attempt:
        return []  # concluded in the meantime (as in doubt, by an instance whose lease ran out)
    recipient, address, attempt = started.recipient, started.address, started.attempt
    if failure.code in PERMANENT or failure.code == IN_DOUBT:
        return [_dead(recipient, address, attempt, failure.code, failure.code, failure.detail)]
    if state.round_attempts >= policy.max_attempts:
        detail = f"{state.round_attempts} attempts; last: {failure.detail}"
        return [_dead(recipient, address, attempt, MAX_ATTEMPTS, failure.code, detail)]
    return [
        EmailAttemptFailed(
            recipient=recipient,
            address=address,
            attempt=attempt,
            error=failure.code,
            detail=failure.detail,
            next_attempt_at=now + policy.delay(state.round_attempts),
        )
    ]


def request_retry(history: Sequence[DomainEvent], recipient: int, requested_by: str) -> list[DomainEvent]:
    """Send a dead letter again — not one that no attempt could ever deliver."""
    if state_of(history, recipient).status is not Status.DEAD:
        raise Conflict(
            "delivery.not_dead",
            "Seul un courriel en échec définitif (lettre morte) peut être renvoyé.",
            "Only a dead-lettered e-mail can be sent again.",
        )
    address = recipient_of(history, recipient).email
    if address is None or address_problem(address.strip()) is not None:
        raise Conflict(
            "delivery.not_retryable",
            "Ce destinataire n'a pas d'adresse courriel valide : corrigez-la à la source.",
            "This recipient has no valid e-mail address: correct it at the source.",
            details={"address": address},
        )
    return [EmailRetryRequested(recipient=recipient, requested_by=requested_by)]


def _dead(
    recipient: int, address: str | None, attempts: int, reason: str, error: str | None, detail: str
) -> EmailDeadLettered:
    return EmailDeadLettered(
        recipient=recipient, address=address, attempts=attempts, reason=reason, error=error, detail=detail
    )


def notice_of(history: Sequence[DomainEvent]) -> NoticeRecorded:
    notice = next((e for e in history if isinstance(e, NoticeRecorded)), None)
    if notice is None:
        raise LookupError("no NoticeRecorded on this stream")
    return notice


def recipient_of(history: Sequence[DomainEvent], recipient: int) -> Recipient:
    return notice_of(history).recipients[recipient]


def deliveries_of(notice: NoticeRecorded) -> list[int]:
    """The recipients that get an e-mail (or its dead letter): the first one of each address,
    compared without case, and each one without an address."""
    seen: set[str] = set()
    chosen = []
    for index, recipient in enumerate(notice.recipients):
        key = (recipient.email or "").strip().lower()
        if key in seen:
            continue
        if key:
            seen.add(key)
        chosen.append(index)
    return chosen
