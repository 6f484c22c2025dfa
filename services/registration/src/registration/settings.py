from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from gsi_kernel.settings import ServiceSettings


class RegistrationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GSI_REGISTRATION_", extra="ignore")

    service: ClassVar[str] = "registration"
    default_port: ClassVar[int] = 8001
