"""The routers' dependencies: each use case, read from the container ``bootstrap.build`` made."""

from __future__ import annotations

from typing import Annotated

from gsi_kernel.http.app import parts_of
from notifications.container import Container
from notifications.deliveries.app import DeliveryLog
from notifications.emails.templates import Renderer
from notifications.inbox.app import Inbox
from notifications.reminders.app import ScheduleAdmin

_of = parts_of(Container)

InboxDep = Annotated[Inbox, _of(lambda c: c.inbox)]
DeliveryLogDep = Annotated[DeliveryLog, _of(lambda c: c.delivery_log)]
RendererDep = Annotated[Renderer, _of(lambda c: c.renderer)]
ScheduleAdminDep = Annotated[ScheduleAdmin, _of(lambda c: c.schedule)]
