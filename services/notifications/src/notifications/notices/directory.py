"""The ministry's contact directory, from this service's own events."""

from __future__ import annotations

from sqlalchemy import Connection, delete

from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.projections import EventByEvent
from notifications.event_registry import EVENTS
from notifications.notices.contacts import MinistryContactSet
from notifications.workflow.tables import keep_ministry_contact, ministry_contacts


class DirectoryProjection(EventByEvent):
    name = "notifications.directory"

    def apply(self, connection: Connection, event: EventEnvelope) -> None:
        if event.type != MinistryContactSet.event_type:
            return
        decoded = EVENTS.decode(event.type, event.schema_version, event.payload)
        assert isinstance(decoded, MinistryContactSet)
        contact = decoded.contact
        keep_ministry_contact(connection, decoded.user_id, contact.email, contact.name, contact.language)

    def reset(self, connection: Connection) -> None:
        connection.execute(delete(ministry_contacts))
