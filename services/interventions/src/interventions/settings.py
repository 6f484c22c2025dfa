from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from gsi_kernel.settings import ServiceSettings


class InterventionsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GSI_INTERVENTIONS_", extra="ignore")

    service: ClassVar[str] = "interventions"
    default_port: ClassVar[int] = 8002
