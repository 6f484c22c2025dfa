"""Every event the notifications service stores."""

from __future__ import annotations

from gsi_kernel.events import EventRegistry
from notifications.deliveries.events import DELIVERY_EVENTS
from notifications.notices.contacts import MinistryContactSet
from notifications.notices.events import NoticeRead, NoticeRecorded
from notifications.reminders.domain import ScheduleConfigured

EVENTS = EventRegistry([NoticeRecorded, NoticeRead, ScheduleConfigured, MinistryContactSet, *DELIVERY_EVENTS])
