"""The routers' dependencies: each use case, read from the container ``bootstrap.build`` made."""

from __future__ import annotations

from typing import Annotated

from gsi_kernel.http.app import parts_of
from notifications.app.deliveries import DeliveryLog
from notifications.app.handlers import Inbox
from notifications.app.schedule_admin import ScheduleAdmin
from notifications.app.templates import Renderer
from notifications.container import Container

_of = parts_of(Container)

InboxDep = Annotated[Inbox, _of(lambda c: c.inbox)]
DeliveryLogDep = Annotated[DeliveryLog, _of(lambda c: c.delivery_log)]
RendererDep = Annotated[Renderer, _of(lambda c: c.renderer)]
ScheduleAdminDep = Annotated[ScheduleAdmin, _of(lambda c: c.schedule)]
