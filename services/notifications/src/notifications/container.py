"""What notifications' composition root builds (``bootstrap.build``): the kernel and each use
case its API reads, typed — the routers get theirs through ``api/deps.py``."""

from __future__ import annotations

from dataclasses import dataclass

from gsi_kernel.runtime import Kernel
from notifications.app.deliveries import DeliveryLog
from notifications.app.handlers import Inbox
from notifications.app.schedule_admin import ScheduleAdmin
from notifications.app.templates import Renderer


@dataclass(frozen=True, slots=True)
class Container:
    kernel: Kernel
    renderer: Renderer
    inbox: Inbox
    delivery_log: DeliveryLog
    schedule: ScheduleAdmin
