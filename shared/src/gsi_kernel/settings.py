"""Settings every service shares, read from the environment by pydantic-settings.

Each service subclasses :class:`ServiceSettings` with its own prefix (``GSI_REGISTRATION_`` …);
a variable with the plain ``GSI_`` prefix applies to every service unless the service's own
prefix overrides it. In production the settings refuse the development conveniences: the dev
token issuer, SQLite, the embedded log, well-known passwords, a missing or placeholder master
key, CORS open to any origin, and a shifted business clock. The HTTP edge's limits (body size,
per-user rate limits, CORS) are here too; see docs/security.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from limits import parse as parse_rate_limit
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
# 32 random bytes hold about 30 distinct values; fewer than this many is a typed-in placeholder
# (zeros, "AAAA…", a short word repeated), never a generated key.
_MIN_DISTINCT_KEY_BYTES = 16
MIB = 1024 * 1024
MAX_CLOCK_OFFSET_DAYS = 3660  # ten years: further is a typo, not a rehearsal


class SharedPrefixSettings(BaseSettings):
    """Settings read with a deployable's own prefix first, then the plain ``GSI_`` one that
    applies to every deployable (the services and the portal)."""

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


class ServiceSettings(SharedPrefixSettings):
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
    # Replicas of each topic the service creates; None: the brokers' default.replication.factor
    # (3 on deploy/local/kafka-cluster.sh's three brokers, whose min.insync.replicas is 2).
    topic_replication_factor: int | None = Field(default=None, ge=1, le=16)
    # How long the outbox relay's lease runs: when its holder dies, another instance publishes
    # at most this long after (it looks every tenth of it). Short only in failover tests.
    relay_lease_ttl_s: float = Field(default=30.0, ge=1, le=600, description="outbox relay lease")
    # How long the brokers wait for a silent consumer (a replica killed with kill -9) before its
    # group's partitions go to the other replicas; None: the Kafka client's default (45 s). The
    # brokers accept 6 s to 5 min by default (group.min/max.session.timeout.ms).
    kafka_session_timeout_ms: int | None = Field(default=None, ge=6000, le=300_000)
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
    # Set by the supervising process for its serving processes (GSI_HTTP_WORKERS > 1): where
    # it reports its background workers' statuses, which their /ready reads.
    workers_status_file: Path | None = None
    migrate_on_start: bool = True  # production may run `gsi-<service> migrate` as a separate job
    master_key: SecretStr | None = None  # base64 of 32 bytes: wraps the personal-data keys
    # The HTTP edge (gsi_kernel.http.limits, gsi_kernel.http.headers): see docs/security.md.
    max_body_bytes: int = Field(default=1 * MIB, ge=1024, description="largest request body")
    upload_max_bytes: int = Field(
        default=64 * MIB, ge=1024, description="largest body of a file-upload route (multipart)"
    )
    # None: on in production, off in development (the demo seed and the benchmarks send
    # hundreds of requests a second as one user).
    rate_limit_enabled: bool | None = None
    rate_limit_reads: str = "600/minute"  # GET and HEAD, per user (per client address without a token)
    rate_limit_writes: str = "120/minute"  # every other method
    rate_limit_storage: str = "memory://"  # per process; redis://… to share across processes
    # A request waits at most this long in its process before it starts (a free slot among
    # http_max_concurrency, then its first transaction); past it, 503 and it never runs: its
    # client has given up or will retry (issue 19). Probes are not counted.
    http_max_concurrency: int = Field(default=100, ge=1, description="requests run at once per process")
    http_queue_timeout_s: float = Field(default=10.0, gt=0, le=600, description="longest wait to start")
    cors_origins: str = ""  # comma-separated origins allowed to call from a browser; empty: no CORS
    hsts_max_age: int = Field(default=365 * 24 * 3600, ge=0, description="HSTS in production")
    # Training and acceptance only: the business clock (deadlines, reminders, lock exceptions,
    # retention, the dates of events) runs this many days ahead of the wall clock, so a quarter
    # can be rehearsed without waiting (gsi_kernel.clock.OffsetClock). Set it with the plain GSI_
    # prefix so that every service agrees on the day. Refused in production.
    clock_offset_days: int = Field(
        default=0, ge=-MAX_CLOCK_OFFSET_DAYS, le=MAX_CLOCK_OFFSET_DAYS, description="business clock shift"
    )

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
    def rate_limits_on(self) -> bool:
        if self.rate_limit_enabled is not None:
            return self.rate_limit_enabled
        return self.environment == "production"

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

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

    @field_validator("rate_limit_reads", "rate_limit_writes")
    @classmethod
    def _rate_limit_parses(cls, value: str) -> str:
        parse_rate_limit(value)  # ValueError on e.g. "lots": "600/minute", "10/second;1000/hour"
        return value

    @model_validator(mode="after")
    def _refuse_development_defaults_in_production(self) -> ServiceSettings:
        if self.environment != "production":
            return self
        problems = self._secret_problems()
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
        if "*" in self.cors_origin_list:
            problems.append("CORS is open to any origin (list the origins in CORS_ORIGINS)")
        if self.clock_offset_days:
            problems.append(
                f"the business clock is shifted by {self.clock_offset_days:+d} days "
                "(CLOCK_OFFSET_DAYS is for training and acceptance environments: unset it)"
            )
        if problems:
            raise ValueError("refusing production settings: " + "; ".join(problems))
        return self

    def _secret_problems(self) -> list[str]:
        """What is wrong with the master key in production (empty when nothing is)."""
        if not self.holds_personal_data:
            return []
        if self.master_key is None:
            return ["no master key for personal data (set MASTER_KEY: base64 of 32 random bytes)"]
        key = decode_master_key(self.master_key.get_secret_value())
        if len(set(key)) < _MIN_DISTINCT_KEY_BYTES:
            return ["the master key is a placeholder, not random bytes (head -c 32 /dev/urandom | base64)"]
        dev_key = self.dev_master_key_file
        if dev_key.is_file() and load_or_create_dev_master_key(dev_key) == key:
            return ["the master key is the development one from data_dir (generate a new one)"]
        return []
