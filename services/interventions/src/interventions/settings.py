from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from gsi_kernel.settings import ServiceSettings


class InterventionsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GSI_INTERVENTIONS_", extra="ignore")

    service: ClassVar[str] = "interventions"
    default_port: ClassVar[int] = 8002

    program: str = Field(default="PASI", description="the program whose catalogue and rules apply")
    default_agreement_volets: str = Field(
        default="V1,V2,V3,V4",
        pattern=r"^(V[1-5])(,V[1-5])*$",
        description="volets of an organization's agreement until reporting publishes it",
    )
    import_max_bytes: int = Field(default=50 * 1024 * 1024, ge=1024, description="largest file accepted")
    import_max_rows: int = Field(default=200_000, ge=1, description="most rows in one file")
    import_workers: int = Field(default=1, ge=1, le=8, description="imports run at once per process")
