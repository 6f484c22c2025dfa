"""Every event the notifications service stores."""

from __future__ import annotations

from gsi_kernel.events import EventRegistry
from notifications.domain.contacts import MinistryContactSet
from notifications.domain.delivery import DELIVERY_EVENTS
from notifications.domain.notice import NoticeRead, NoticeRecorded
from notifications.domain.schedule import ScheduleConfigured

EVENTS = EventRegistry([NoticeRecorded, NoticeRead, ScheduleConfigured, MinistryContactSet, *DELIVERY_EVENTS])
