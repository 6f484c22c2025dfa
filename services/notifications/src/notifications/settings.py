from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from gsi_kernel.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GSI_NOTIFICATIONS_", extra="ignore")

    service: ClassVar[str] = "notifications"
    default_port: ClassVar[int] = 8004
