"""Administration of what the reminders use: the schedule (offsets as data) and the ministry's
contact directory."""

from __future__ import annotations

from sqlalchemy import select

from gsi_kernel.auth import Principal
from gsi_kernel.envelope import CommandContext
from gsi_kernel.errors import NotFound
from gsi_kernel.runtime import Kernel
from gsi_kernel.store.queries import fetch_one
from notifications.domain import contacts, schedule
from notifications.domain.contacts import MinistryContact
from notifications.domain.schedule import Schedule
from notifications.projections.workflow import ministry_contacts


class ScheduleAdmin:
    def __init__(self, kernel: Kernel) -> None:
        self._kernel = kernel

    def schedule(self) -> Schedule:
        with self._kernel.db.transaction() as connection:
            history = self._kernel.store.load(connection, schedule.SCHEDULE_STREAM)
            registry = self._kernel.wiring.registry
            return schedule.current_schedule(
                [registry.decode(e.type, e.schema_version, e.payload) for e in history]
            )

    def configure(self, principal: Principal, new: Schedule, reason: str) -> Schedule:
        self._kernel.writer.execute(
            schedule.SCHEDULE_STREAM,
            lambda history: schedule.configure(history, new, reason),
            CommandContext.new(principal.user_id, None),
        )
        return new

    def set_contact(self, principal: Principal, user_id: str, contact: MinistryContact) -> MinistryContact:
        self._kernel.writer.execute(
            contacts.contact_stream(user_id),
            lambda history: contacts.set_contact(history, user_id, contact),
            CommandContext.new(principal.user_id, None),
        )
        return contact

    def contact(self, user_id: str) -> MinistryContact:
        row = fetch_one(
            self._kernel.db, select(ministry_contacts).where(ministry_contacts.c.user_id == user_id)
        )
        if row is None:
            raise NotFound(
                "contact.not_found",
                "Aucune adresse connue pour cet utilisateur du ministère.",
                "No address is known for this ministry user.",
                details={"user_id": user_id},
            )
        return MinistryContact(email=row["email"], name=row["name"], language=row["language"])
