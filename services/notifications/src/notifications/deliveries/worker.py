"""The delivery worker: sends the e-mails of notices, each exactly once (ADR 13).

One pass: claim a batch of due rows of the delivery log with a lease (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL: two instances take different rows), then for each row

1. decide on the notice's stream and append, with its expected version, either a dead letter
   (no address, invalid address, template error, or an attempt left in doubt) or
   ``EmailAttemptStarted`` — which no other worker can append while it stands unconcluded;
2. hand the message to the SMTP server (a stable Message-ID per notice and address);
3. append the outcome: ``EmailSent``, ``EmailAttemptFailed`` (retry after a growing delay) or
   ``EmailDeadLettered``. Projecting it releases the row's lease.

An outcome the database refuses (it is down) stays in memory and is recorded before anything
else; only a process that dies between the server's answer and that record leaves an attempt
in doubt, which the next worker dead-letters instead of sending it again.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from email.message import Message

from sqlalchemy import or_, select, update

from gsi_kernel.clock import Clock
from gsi_kernel.envelope import CommandContext, EventEnvelope
from gsi_kernel.errors import ConcurrencyConflict
from gsi_kernel.events import DomainEvent
from gsi_kernel.store.backend import backend_of
from gsi_kernel.store.database import Database
from gsi_kernel.telemetry import Telemetry, context_from_traceparent, current_traceparent
from gsi_kernel.writer import Decide, StreamWriter
from notifications.deliveries import domain as delivery
from notifications.deliveries.addresses import address_problem, message_id
from notifications.deliveries.domain import Failure, RetryPolicy, Status
from notifications.deliveries.events import EmailAttemptStarted, EmailDeadLettered
from notifications.deliveries.mailer import Mailer, Sender, SendFailure, compose
from notifications.deliveries.projection import deliveries
from notifications.emails.templates import Renderer, TemplateError
from notifications.notices.events import NoticeRecorded
from notifications.notices.values import Recipient
from notifications.settings import NotificationsSettings

log = logging.getLogger(__name__)

ACTOR = "system:notifications.delivery"
CONFLICT_RETRIES = 10  # other recipients' outcomes and read marks append to the same stream


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row of the delivery log this worker holds the lease of."""

    delivery_id: str
    stream_id: str
    recipient: int
    notice_id: str
    organization_id: str
    correlation_id: str
    traceparent: str | None


_CLAIMED_COLUMNS = [f.name for f in fields(Claimed)]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the SMTP server said about one attempt (``failure`` None: accepted)."""

    row: Claimed
    started: EmailAttemptStarted
    failure: SendFailure | None


@dataclass(frozen=True, slots=True)
class DeliveryDeps:
    """What a delivery worker uses of the service: it claims rows of the delivery log (``db``),
    records each attempt on the notice's stream (``writer``, which writes the log's rows in the
    same transaction, ADR 28) and traces each e-mail (``telemetry``)."""

    db: Database
    writer: StreamWriter
    clock: Clock
    telemetry: Telemetry


class DeliveryWorker:
    def __init__(
        self,
        deps: DeliveryDeps,
        settings: NotificationsSettings,
        renderer: Renderer,
        mailer: Mailer,
        *,
        holder: str | None = None,
    ) -> None:
        self._db = deps.db
        self._writer = deps.writer
        self._clock = deps.clock
        self._telemetry = deps.telemetry
        self._renderer = renderer
        self._mailer = mailer
        self._sender = Sender.parse(settings.mail_from)
        self._policy = RetryPolicy(
            max_attempts=settings.delivery_max_attempts,
            backoff=timedelta(seconds=settings.delivery_backoff_seconds),
            backoff_max=timedelta(seconds=settings.delivery_backoff_max_seconds),
        )
        self._batch = settings.delivery_batch
        # Long enough for the slowest send a timeout allows; the pass stops at half of it.
        self._lease = timedelta(seconds=max(60.0, 10 * settings.smtp_timeout_seconds))
        self.holder = holder or f"delivery-{uuid.uuid4()}"
        self._paused_until: datetime | None = None
        self._unrecorded: list[Outcome] = []

    def run_once(self) -> int:
        """One batch; how many e-mails it sent or recorded a failure or dead letter for (0:
        nothing due, paused after a failure of the server, or the database down)."""
        if not self._record_unrecorded():
            return 0
        now = self._clock.now()
        if self._paused_until is not None:
            if now < self._paused_until:
                return 0
            self._paused_until = None
        claimed = self._claim(now)
        deadline = time.monotonic() + self._lease.total_seconds() / 2
        handled, untouched = 0, []
        try:
            for row in claimed:
                if time.monotonic() > deadline or self._stopped():
                    break
                handled += 1
                if not self._deliver(row):
                    untouched.append(row)
        finally:
            self._release([*untouched, *claimed[handled:]])
        return handled - len(untouched)

    def close(self) -> None:
        self._mailer.close()

    def _stopped(self) -> bool:
        """Stop the batch after a failure of the server itself, or an outcome not recorded."""
        return bool(self._unrecorded) or self._paused_until is not None

    # ---- one delivery -----------------------------------------------------------------------

    def _deliver(self, row: Claimed) -> bool:
        """Deliver one row; False if nothing was recorded (the row is released)."""
        tracer = self._telemetry.tracer
        parent = context_from_traceparent(row.traceparent)
        with tracer.start_as_current_span("deliver e-mail", context=parent):
            prepared: list[tuple[EmailAttemptStarted, Message]] = []
            now = self._clock.now()
            recorded = self._execute(row, lambda history: self._begin(history, row, now, prepared))
            if not recorded:
                return False
            if not prepared:
                return True  # dead-lettered before any attempt
            started, message = prepared[-1]
            failure: SendFailure | None = None
            try:
                self._mailer.send(message, to=started.address)
            except SendFailure as exc:
                failure = exc
            if failure is not None and failure.session:
                self._paused_until = now + self._policy.backoff
            self._conclude_or_keep(Outcome(row, started, failure))
            return True

    def _begin(
        self,
        history: list[DomainEvent],
        row: Claimed,
        now: datetime,
        prepared: list[tuple[EmailAttemptStarted, Message]],
    ) -> Sequence[DomainEvent]:
        notice = delivery.notice_of(history)
        recipient = notice.recipients[row.recipient]
        address = recipient.email.strip() if recipient.email else None
        mid = message_id(row.notice_id, address or "", self._sender.domain)
        problem, message = self._prepare(notice, recipient, address, mid, now)
        events = delivery.begin_attempt(
            history, row.recipient, address=address, message_id=mid, problem=problem, now=now
        )
        prepared.clear()  # a decision retried after a conflict starts afresh
        if events and isinstance(events[0], EmailAttemptStarted) and message is not None:
            prepared.append((events[0], message))
        return events

    def _prepare(
        self, notice: NoticeRecorded, recipient: Recipient, address: str | None, mid: str, now: datetime
    ) -> tuple[Failure | None, Message | None]:
        """The message, or why there cannot be one."""
        if address is None:
            return Failure(delivery.NO_EMAIL, "no e-mail address is known for this recipient"), None
        problem = address_problem(address)
        if problem is not None:
            return Failure(delivery.INVALID_EMAIL, problem), None
        try:
            rendered = self._renderer.render_notice(notice, recipient)
            message = compose(
                self._sender,
                rendered,
                to=address,
                name=recipient.name,
                message_id=mid,
                language=recipient.language,
                date=now,
                kind=notice.kind,
            )
        except TemplateError as exc:
            return Failure(delivery.TEMPLATE_ERROR, exc.detail), None
        except ValueError as exc:  # a header the e-mail library refuses
            return Failure(delivery.TEMPLATE_ERROR, f"composing the message: {exc}"), None
        return None, message

    def _conclude_or_keep(self, outcome: Outcome) -> None:
        try:
            self._conclude(outcome)
        except Exception:  # the server's answer must not be lost with the database
            log.exception("recording the outcome of %s failed; kept for the next pass", outcome.started)
            self._unrecorded.append(outcome)

    def _conclude(self, outcome: Outcome) -> None:
        started, failure = outcome.started, outcome.failure
        if failure is None:
            self._execute(outcome.row, lambda history: delivery.conclude_sent(history, started))
            return
        now = self._clock.now()
        self._execute(
            outcome.row,
            lambda history: delivery.conclude_failed(
                history, started, failure.failure, now=now, policy=self._policy
            ),
        )

    def _record_unrecorded(self) -> bool:
        """Record the outcomes a database outage kept in memory; False while it still fails."""
        while self._unrecorded:
            try:
                self._conclude(self._unrecorded[0])
            except Exception:
                log.warning("the database still refuses %d delivery outcomes", len(self._unrecorded))
                return False
            self._unrecorded.pop(0)
        return True

    def _execute(self, row: Claimed, decide: Decide) -> list[EventEnvelope]:
        """Decide on the notice's stream and append; decide again when another writer was first."""
        context = CommandContext(
            actor=ACTOR,
            organization=row.organization_id,
            correlation_id=row.correlation_id,
            causation_id=row.notice_id,
            traceparent=current_traceparent() or row.traceparent,
        )
        for attempt in range(CONFLICT_RETRIES):
            try:
                with self._db.transaction() as connection:
                    executed = self._writer.execute(row.stream_id, decide, context, connection=connection)
                recorded = executed.events
            except ConcurrencyConflict:
                if attempt == CONFLICT_RETRIES - 1:
                    raise
                continue
            for event in recorded:
                if event.type == EmailDeadLettered.event_type:
                    log.warning("e-mail dead-lettered on %s: %s", row.stream_id, event.payload["reason"])
            return recorded
        raise AssertionError("unreachable")

    # ---- the lease ----------------------------------------------------------------------------

    def _claim(self, now: datetime) -> list[Claimed]:
        c = deliveries.c
        query = (
            select(*(c[name] for name in _CLAIMED_COLUMNS))
            .where(
                c.status.in_([Status.PENDING, Status.RETRYING]),
                c.next_attempt_at <= now,
                or_(c.claimed_until.is_(None), c.claimed_until < now),
            )
            .order_by(c.next_attempt_at)
            .limit(self._batch)
        )
        with self._db.transaction() as connection:
            query = backend_of(connection).claim_rows(query)
            rows = [Claimed(**r._mapping) for r in connection.execute(query)]
            if rows:
                connection.execute(
                    update(deliveries)
                    .where(c.delivery_id.in_([r.delivery_id for r in rows]))
                    .values(claimed_by=self.holder, claimed_until=now + self._lease)
                )
        return rows

    def _release(self, rows: Sequence[Claimed]) -> None:
        """Give back rows this pass recorded nothing for (their outcomes release the others)."""
        if not rows:
            return
        c = deliveries.c
        try:
            with self._db.transaction() as connection:
                connection.execute(
                    update(deliveries)
                    .where(c.delivery_id.in_([r.delivery_id for r in rows]), c.claimed_by == self.holder)
                    .values(claimed_by=None, claimed_until=None)
                )
        except Exception:  # they are released anyway when the lease runs out
            log.warning("releasing %d delivery leases failed", len(rows), exc_info=True)
