from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from gsi_kernel.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GSI_REPORTING_", extra="ignore")

    service: ClassVar[str] = "reporting"
    default_port: ClassVar[int] = 8003

    program: str = Field(default="PASI", description="the program whose catalogue and rules verify applies")
