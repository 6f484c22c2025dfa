"""The portal's settings, read from the environment (prefix ``GSI_PORTAL_``; ``GSI_`` applies too).

The portal keeps no business data: it needs the four services' addresses, how to sign people in
(OpenID Connect, or the services' development issuer on a developer's machine), how to read a
signed-in person's claims, and its session and cookie rules. In production it refuses the
development conveniences, as the services do.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from gsi_kernel.settings import SharedPrefixSettings

SERVICES = ("registration", "interventions", "reporting", "notifications")


class DevUser(BaseModel):
    """A demo user offered on the development sign-in page (``make run`` passes the demo's)."""

    user_id: str
    roles: list[str]
    organization: str | None = None
    assigned_organizations: list[str] = []


class PortalSettings(SharedPrefixSettings):
    model_config = SettingsConfigDict(env_prefix="GSI_PORTAL_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=1, le=65535)
    # Where the browser reaches the portal (redirects after sign-in and sign-out); default: the
    # host and port above over http.
    public_url: str | None = None
    log_level: str = "INFO"
    # The services' business clock may run ahead in a rehearsal environment
    # (GSI_CLOCK_OFFSET_DAYS): "this quarter" on a page must be theirs.
    clock_offset_days: int = Field(default=0, ge=-3660, le=3660)

    # The services' APIs.
    registration_url: str = "http://127.0.0.1:8001"
    interventions_url: str = "http://127.0.0.1:8002"
    reporting_url: str = "http://127.0.0.1:8003"
    notifications_url: str = "http://127.0.0.1:8004"
    backend_timeout_seconds: float = Field(default=10.0, gt=0)
    backend_max_connections: int = Field(default=100, ge=1)  # each service's pool
    # How long the header's unread count is reused within a session (portal.unread); 0: never.
    unread_fresh_seconds: float = Field(default=5.0, ge=0, le=60)

    # Sign-in: "oidc" with a provider; "development" with the services' /dev/token (refused in
    # production, exactly like /dev/token itself).
    auth_mode: Literal["oidc", "development"] = "development"
    # Development: the users offered, as JSON (GSI_PORTAL_DEV_USERS='[{"user_id": …}]').
    dev_users: list[DevUser] = Field(default_factory=list)
    oidc_discovery_url: str | None = None  # …/.well-known/openid-configuration
    oidc_client_id: str = "gsi-portal"
    oidc_client_secret: SecretStr | None = None  # None: a public client (PKCE alone)
    oidc_scope: str = "openid profile email"
    # Claims to principal: which claim holds what, so another provider fits without code.
    claim_user_id: str = "sub"
    claim_name: str = "name"
    claim_roles: str = "roles"
    claim_organization: str = "org"
    claim_assigned_organizations: str = "assigned_orgs"
    claim_language: str = "locale"

    # Sessions (server-side; the cookie holds a random id only).
    session_cookie: str = "gsi_session"
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_max_count: int = Field(default=10_000, ge=10)
    # Secure cookies, except on a developer's machine over plain http on the loopback.
    cookie_secure: bool | None = None

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.http_host}:{self.http_port}").rstrip("/")

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        local_http = self.base_url.startswith(("http://127.0.0.1", "http://localhost"))
        return not (self.environment == "development" and local_http)

    def service_url(self, service: str) -> str:
        url: str = getattr(self, f"{service}_url")
        return url.rstrip("/")

    @model_validator(mode="after")
    def _refuse_development_conveniences_in_production(self) -> PortalSettings:
        problems = []
        if self.auth_mode == "oidc" and not self.oidc_discovery_url:
            problems.append("OIDC sign-in needs GSI_PORTAL_OIDC_DISCOVERY_URL")
        if self.environment == "production":
            if self.auth_mode == "development":
                problems.append("development sign-in in production (set GSI_PORTAL_AUTH_MODE=oidc)")
            if self.clock_offset_days:
                problems.append("the business clock is shifted (GSI_CLOCK_OFFSET_DAYS) in production")
            if self.cookie_secure is False:
                problems.append("cookies without Secure in production")
            if not self.base_url.startswith("https://"):
                problems.append("the portal's public URL must be https in production (GSI_PORTAL_PUBLIC_URL)")
        if problems:
            raise ValueError("refusing portal settings: " + "; ".join(problems))
        return self
