"""The reminder scheduler: on each tick, the instance holding the lease records the reminders
due today (Montréal time, from the business clock, which tests move).

Exactly once: the lease keeps a second instance from doing the work at the same time; and each
reminder is a new stream named by its deduplication key, appended with ``skip_existing``, so a
reminder decided twice — two instances racing at a lease's expiry, a restart, the next tick — is
recorded once: the second append of a key does nothing (``ON CONFLICT DO NOTHING`` on the
stream's first version, which waits for the first writer's transaction)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, and_, or_, select, update

from gsi_kernel.clock import Clock, montreal_date
from gsi_kernel.envelope import CommandContext
from gsi_kernel.events import DomainEvent
from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.store.backend import backend_of
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.writer import StreamWriter
from notifications.notices import domain as notice
from notifications.notices.app import prepare
from notifications.reminders.app import schedule_in
from notifications.reminders.domain import OpenCheckpoint, OrganizationQuarter, ReportState, due_reminders
from notifications.workflow.tables import (
    agreements,
    deadlines,
    follow_up_checkpoints,
    reports,
    scheduler_lease,
)

LEASE = "reminders"
ACTOR = "system:notifications.scheduler"
_HORIZON = timedelta(days=160)  # further than any offset (120 days) plus the grace (30)


class Scheduler:
    """A kernel worker; ``run_once`` is one tick and returns how many reminders it recorded.

    ``clock`` says what day it is (the business clock, which GSI_CLOCK_OFFSET_DAYS shifts);
    ``lease_clock`` times the lease between instances (unshifted, see :meth:`run_once`)."""

    def __init__(
        self,
        *,
        db: Database,
        store: EventStore,
        writer: StreamWriter,
        clock: Clock,
        lease_clock: Clock,
        lease_seconds: float,
        holder: str | None = None,
        default_due_days: int = 30,
    ) -> None:
        self._db = db
        self._store = store
        self._writer = writer
        self._clock = clock
        self._lease_clock = lease_clock
        self._default_due_days = default_due_days
        self._lease = timedelta(seconds=lease_seconds)
        self.holder = holder or f"scheduler-{uuid.uuid4()}"

    def run_once(self) -> int:
        # The lease is between instances, on the unshifted clock; "today" is the business day.
        if not self._take_lease(self._lease_clock.now()):
            return 0
        today = montreal_date(self._clock.now())
        with self._db.transaction() as connection:
            written = self._writer.append_new_streams(
                self._decide(connection, today),
                CommandContext.new(ACTOR, None),
                skip_existing=True,
                connection=connection,
            )
        return len(written)

    def close(self) -> None:
        """Nothing held but the lease, which expires by itself."""

    def _take_lease(self, now: datetime) -> bool:
        expires = now + self._lease
        with self._db.transaction() as connection:
            taken = connection.execute(
                update(scheduler_lease)
                .where(
                    scheduler_lease.c.name == LEASE,
                    or_(scheduler_lease.c.holder == self.holder, scheduler_lease.c.expires_at <= now),
                )
                .values(holder=self.holder, expires_at=expires)
            ).rowcount
            if taken:
                return True
            # RETURNING says whether this statement inserted: on PostgreSQL an INSERT's rowcount
            # is not known here (-1, which is truthy), and two instances both took the lease.
            created = connection.execute(
                backend_of(connection)
                .insert(scheduler_lease)
                .values(name=LEASE, holder=self.holder, expires_at=expires)
                .on_conflict_do_nothing()
                .returning(scheduler_lease.c.name)
            ).first()
            return created is not None

    def _decide(self, connection: Connection, today: date) -> list[tuple[str, Sequence[DomainEvent]]]:
        due = due_reminders(
            schedule_in(self._store, connection),
            today,
            _quarters(connection, today, self._default_due_days),
            _checkpoints(connection, today),
        )
        streams: list[tuple[str, Sequence[DomainEvent]]] = []
        for reminder in due:
            command = prepare(
                connection,
                dedupe_key=reminder.dedupe_key,
                kind=reminder.kind,
                organization_id=reminder.organization_id,
                audience=reminder.audience,
                quarter=reminder.quarter,
                data=reminder.data,
            )
            streams.append((notice.notice_stream(command.dedupe_key), notice.record([], command)))
        return streams


def _quarters(connection: Connection, today: date, default_due_days: int) -> list[OrganizationQuarter]:
    """Each (organization, quarter) whose deadline is near today and that an agreement covers.
    A quarter whose fiscal year has no calendar set in reporting is due ``default_due_days``
    after it ends (reporting's default, stated in its ``FiscalYearCalendarSet`` contract)."""
    candidates = {FiscalQuarter.of(today + timedelta(days=d)) for d in range(-320, 170, 30)}
    set_dues = dict(
        connection.execute(
            select(deadlines.c.quarter, deadlines.c.submission_due).where(
                deadlines.c.quarter.in_(sorted(str(q) for q in candidates))
            )
        ).all()
    )
    dues = {q: set_dues.get(str(q), q.last_day + timedelta(days=default_due_days)) for q in candidates}
    near = [
        (str(q), due)
        for q, due in sorted(dues.items(), key=lambda i: str(i[0]))
        if abs(due - today) <= _HORIZON
    ]
    if not near:
        return []
    periods: dict[str, list[tuple[date, date]]] = {}
    for row in connection.execute(
        select(agreements.c.organization_id, agreements.c.starts_on, agreements.c.ends_on)
    ):
        periods.setdefault(row.organization_id, []).append((row.starts_on, row.ends_on))
    states = {
        (r.organization_id, r.quarter): ReportState(
            state=r.state,
            submission_version=r.submission_version,
            submitted_on=r.submitted_on,
            control_due=r.control_due,
            rejection_number=r.rejection_number,
            resubmission_due=r.resubmission_due,
        )
        for r in connection.execute(
            select(reports).where(reports.c.quarter.in_([quarter for quarter, _ in near]))
        )
    }
    found = []
    for quarter_text, submission_due in near:
        quarter = FiscalQuarter.parse(quarter_text)
        for organization_id, spans in sorted(periods.items()):
            if any(s <= quarter.last_day and e >= quarter.first_day for s, e in spans):
                state = states.get((organization_id, quarter_text), ReportState())
                found.append(OrganizationQuarter(organization_id, quarter, submission_due, state))
    return found


def _checkpoints(connection: Connection, today: date) -> list[OpenCheckpoint]:
    rows = connection.execute(
        select(follow_up_checkpoints).where(
            and_(
                follow_up_checkpoints.c.recorded.is_(False),
                follow_up_checkpoints.c.due_on.between(today - timedelta(days=30), today + _HORIZON),
            )
        )
    ).mappings()
    return [
        OpenCheckpoint(
            follow_up_id=r["follow_up_id"],
            organization_id=r["organization_id"],
            person_id=r["person_id"],
            destination_region=r["destination_region"],
            months=r["months"],
            due_on=r["due_on"],
        )
        for r in rows
    ]
