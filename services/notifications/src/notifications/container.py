"""What notifications' composition root builds (``bootstrap.build``): the kernel and each use
case its API reads, typed — the routers get theirs through ``api/deps.py``."""

from __future__ import annotations

from dataclasses import dataclass

from gsi_kernel.runtime import Kernel
from notifications.deliveries.app import DeliveryLog
from notifications.emails.templates import Renderer
from notifications.inbox.app import Inbox
from notifications.reminders.app import ScheduleAdmin


@dataclass(frozen=True, slots=True)
class Container:
    kernel: Kernel
    renderer: Renderer
    inbox: Inbox
    delivery_log: DeliveryLog
    schedule: ScheduleAdmin
