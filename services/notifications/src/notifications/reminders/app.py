"""Administration of what the reminders use: the schedule (offsets as data) and the ministry's
contact directory."""

from __future__ import annotations

from sqlalchemy import Connection, select

from gsi_kernel.auth import Principal
from gsi_kernel.envelope import CommandContext
from gsi_kernel.errors import NotFound
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore
from gsi_kernel.store.queries import fetch_one
from gsi_kernel.writer import StreamWriter
from notifications.event_registry import EVENTS
from notifications.notices import contacts
from notifications.notices.contacts import MinistryContact
from notifications.reminders import domain as schedule
from notifications.reminders.domain import Schedule
from notifications.workflow.tables import ministry_contacts


def schedule_in(store: EventStore, connection: Connection) -> Schedule:
    """The schedule in force, from its stream (the defaults while none was configured)."""
    history = store.load(connection, schedule.SCHEDULE_STREAM)
    return schedule.current_schedule([EVENTS.decode(e.type, e.schema_version, e.payload) for e in history])


class ScheduleAdmin:
    def __init__(self, *, db: Database, store: EventStore, writer: StreamWriter) -> None:
        self._db = db
        self._store = store
        self._writer = writer

    def schedule(self) -> Schedule:
        with self._db.transaction() as connection:
            return schedule_in(self._store, connection)

    def configure(self, principal: Principal, new: Schedule, reason: str) -> Schedule:
        self._writer.execute(
            schedule.SCHEDULE_STREAM,
            lambda history: schedule.configure(history, new, reason),
            CommandContext.new(principal.user_id, None),
        )
        return new

    def set_contact(self, principal: Principal, user_id: str, contact: MinistryContact) -> MinistryContact:
        self._writer.execute(
            contacts.contact_stream(user_id),
            lambda history: contacts.set_contact(history, user_id, contact),
            CommandContext.new(principal.user_id, None),
        )
        return contact

    def contact(self, user_id: str) -> MinistryContact:
        row = fetch_one(self._db, select(ministry_contacts).where(ministry_contacts.c.user_id == user_id))
        if row is None:
            raise NotFound(
                "contact.not_found",
                "Aucune adresse connue pour cet utilisateur du ministère.",
                "No address is known for this ministry user.",
                details={"user_id": user_id},
            )
        return MinistryContact(email=row["email"], name=row["name"], language=row["language"])
