from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from gsi_kernel.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GSI_NOTIFICATIONS_", extra="ignore")

    service: ClassVar[str] = "notifications"
    default_port: ClassVar[int] = 8004

    # E-mail delivery (SMTP).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=8025, ge=1, le=65535)
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    mail_from: str = "GSI — MIFI <no-reply@gsi.example.qc.ca>"
    delivery_max_attempts: int = Field(default=6, ge=1, le=50)
    delivery_backoff_seconds: float = Field(default=30.0, gt=0)  # first retry; doubles each time
    delivery_backoff_max_seconds: float = Field(default=3600.0, gt=0)
    delivery_poll_seconds: float = Field(default=0.2, gt=0)
    delivery_batch: int = Field(default=50, ge=1, le=1000)
    # The web portal's address: each e-mail links there to what it is about (the inbox gives the
    # same paths, relative). GSI_NOTIFICATIONS_PORTAL_URL.
    portal_url: str = Field(default="http://127.0.0.1:8000", pattern=r"^https?://[^\s]+$")
    # Reminders.
    scheduler_interval_seconds: float = Field(default=60.0, gt=0)
    scheduler_lease_seconds: float = Field(default=120.0, gt=0)
    # A quarter whose fiscal year has no calendar published by reporting is due this many days
    # after it ends (reporting's own default, stated in its FiscalYearCalendarSet contract).
    default_submission_days_after_quarter_end: int = Field(default=30, ge=0, le=180)
