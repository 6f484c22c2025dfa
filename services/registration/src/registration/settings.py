from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from gsi_kernel.settings import ServiceSettings


class RegistrationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GSI_REGISTRATION_", extra="ignore")

    service: ClassVar[str] = "registration"
    default_port: ClassVar[int] = 8001
    holds_personal_data: ClassVar[bool] = True

    retention_years: int = Field(default=7, ge=1, le=100, description="erase persons inactive this long")
    retention_check_hours: float = Field(default=24.0, gt=0, description="how often the retention job runs")
