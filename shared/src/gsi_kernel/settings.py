"""Settings every service shares, read from the environment by pydantic-settings.

Each service subclasses :class:`ServiceSettings` with its own prefix (``GSI_REGISTRATION_`` …);
a variable with the plain ``GSI_`` prefix applies to every service unless the service's own
prefix overrides it. In production the settings refuse the development conveniences: the dev
token issuer, SQLite, the embedded log, well-known passwords, and a missing master key.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from sqlalchemy.engine import make_url

from gsi_kernel.privacy.keys import decode_master_key, load_or_create_dev_master_key

DEV_ISSUER = "gsi-dev-issuer"
_WELL_KNOWN_PASSWORDS = frozenset({"", "gsi", "postgres", "password", "changeme", "secret"})


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    service: ClassVar[str] = "service"
    default_port: ClassVar[int] = 8000
    # A service that stores personal data seals it with keys wrapped by MASTER_KEY.
    holds_personal_data: ClassVar[bool] = False

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path(".data")
    database_url: str | None = None  # default: a SQLite file in data_dir
    db_schema: str | None = None  # default: the service name (PostgreSQL only)
    bus: Literal["embedded", "kafka"] = "embedded"
    kafka_bootstrap_servers: str = "127.0.0.1:19092"
    # A prefix of every topic and consumer group: tests and benchmarks on a shared broker.
    kafka_namespace: str = Field(default="", pattern=r"^[A-Za-z0-9._-]*$")
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: str | None = None  # e.g. SCRAM-SHA-512, PLAIN
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    topic_partitions: int = 3
    http_host: str = "127.0.0.1"
    http_port: int | None = None
    http_workers: int = Field(default=1, ge=1, le=32, description="processes serving the API")
    jwt_issuer: str = DEV_ISSUER
    jwt_audience: str = "gsi"
    jwt_public_key_file: Path | None = None
    jwks_url: str | None = None
    dev_issuer_enabled: bool = True
    trace_file: Path | None = None
    log_level: str = "INFO"
    run_workers: bool = True
    migrate_on_start: bool = True  # production may run `gsi-<service> migrate` as a separate job
    master_key: SecretStr | None = None  # base64 of 32 bytes: wraps the personal-data keys

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        common = EnvSettingsSource(settings_cls, env_prefix="GSI_")
        return (init_settings, env_settings, common, dotenv_settings, file_secret_settings)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / (self.service + '.db')}"

    @property
    def resolved_schema(self) -> str:
        return self.db_schema or self.service

    @property
    def resolved_port(self) -> int:
        return self.http_port or self.default_port

    def kafka_client_options(self) -> dict[str, object]:
        """kafka-python connection options (TLS and SASL for managed clusters)."""
        options: dict[str, object] = {"security_protocol": self.kafka_security_protocol}
        if self.kafka_sasl_mechanism:
            options["sasl_mechanism"] = self.kafka_sasl_mechanism
            options["sasl_plain_username"] = self.kafka_sasl_username
            options["sasl_plain_password"] = (
                self.kafka_sasl_password.get_secret_value() if self.kafka_sasl_password else None
            )
        if self.kafka_ssl_cafile:
            options["ssl_cafile"] = str(self.kafka_ssl_cafile)
        return options

    @property
    def embedded_log_path(self) -> Path:
        return self.data_dir / "bus.db"

    @property
    def dev_signing_key_file(self) -> Path:
        return self.data_dir / "dev-signing-key.pem"

    @property
    def dev_master_key_file(self) -> Path:
        return self.data_dir / "dev-master-key"

    def master_key_bytes(self) -> bytes:
        """The key-encryption key of crypto-shredding (32 bytes): MASTER_KEY, or in development
        a key file created in data_dir on first use."""
        if self.master_key is not None:
            return decode_master_key(self.master_key.get_secret_value())
        if self.environment == "production":
            raise ValueError("no master key in production (set MASTER_KEY)")
        return load_or_create_dev_master_key(self.dev_master_key_file)

    @field_validator("master_key")
    @classmethod
    def _master_key_is_32_bytes(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            decode_master_key(value.get_secret_value())
        return value

    @model_validator(mode="after")
    def _refuse_development_defaults_in_production(self) -> ServiceSettings:
        if self.environment != "production":
            return self
        problems = []
        if self.dev_issuer_enabled:
            problems.append("the development token issuer is enabled (set DEV_ISSUER_ENABLED=false)")
        if self.jwt_issuer == DEV_ISSUER:
            problems.append("the JWT issuer is the development one (set JWT_ISSUER)")
        if not (self.jwks_url or self.jwt_public_key_file):
            problems.append("no JWT verification key (set JWKS_URL or JWT_PUBLIC_KEY_FILE)")
        if self.bus != "kafka":
            problems.append("the embedded log is for development (set BUS=kafka)")
        url = make_url(self.resolved_database_url)
        if url.get_backend_name() != "postgresql":
            problems.append("SQLite is for development (set DATABASE_URL to PostgreSQL)")
        elif (url.password or "") in _WELL_KNOWN_PASSWORDS:
            problems.append("the database password is a well-known default")
        if self.holds_personal_data and self.master_key is None:
            problems.append("no master key for personal data (set MASTER_KEY: base64 of 32 random bytes)")
        if problems:
            raise ValueError("refusing production settings: " + "; ".join(problems))
        return self
