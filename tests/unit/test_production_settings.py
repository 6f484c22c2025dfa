"""Production mode refuses to start with development defaults and placeholder secrets: each
problem is named in one clear error, raised when the settings are read (before anything boots)."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from gsi_kernel.privacy.keys import load_or_create_dev_master_key
from gsi_kernel.settings import ServiceSettings


class PersonalData(ServiceSettings):
    service = "people"
    holds_personal_data = True


class NoPersonalData(ServiceSettings):
    service = "counts"


def random_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


REAL: dict[str, Any] = {
    "environment": "production",
    "dev_issuer_enabled": False,
    "jwks_url": "https://sso.example/jwks",
    "jwt_issuer": "https://sso.example",
    "bus": "kafka",
    "database_url": "postgresql+psycopg://gsi:8f3!kq-Zr@db/gsi",
}


def test_real_production_settings_start() -> None:
    settings = PersonalData(**REAL, master_key=random_key())
    assert settings.environment == "production"
    assert settings.rate_limits_on  # on by default in production


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"dev_issuer_enabled": True}, "the development token issuer is enabled"),
        ({"jwt_issuer": "gsi-dev-issuer"}, "the JWT issuer is the development one"),
        ({"jwks_url": None}, "no JWT verification key"),
        ({"bus": "embedded"}, "the embedded log is for development"),
        ({"database_url": None}, "SQLite is for development"),
        ({"database_url": "postgresql+psycopg://gsi:changeme@db/gsi"}, "well-known default"),
        ({"master_key": None}, "no master key for personal data"),
        ({"master_key": base64.b64encode(bytes(32)).decode()}, "the master key is a placeholder"),
        ({"master_key": base64.b64encode(b"A" * 32).decode()}, "the master key is a placeholder"),
        ({"master_key": base64.b64encode(b"secret" * 5 + b"!!").decode()}, "the master key is a placeholder"),
        ({"cors_origins": "https://gsi.example,*"}, "CORS is open to any origin"),
        ({"clock_offset_days": 30}, "the business clock is shifted by +30 days"),
        ({"clock_offset_days": -1}, "the business clock is shifted by -1 days"),
    ],
)
def test_production_refuses_each_default(changes: dict[str, Any], problem: str) -> None:
    values = {**REAL, "master_key": random_key(), **changes}
    with pytest.raises(ValidationError) as raised:
        PersonalData(**values)
    message = str(raised.value)
    assert "refusing production settings" in message
    assert problem in message


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(ValidationError) as raised:
        PersonalData(environment="production", cors_origins="*")
    message = str(raised.value)
    for problem in (
        "token issuer",
        "JWT issuer is the development one",
        "JWT verification key",
        "embedded log",
        "SQLite",
        "no master key",
        "CORS",
    ):
        assert problem in message, problem


def test_the_development_master_key_is_refused_in_production(tmp_path: Path) -> None:
    dev_key = load_or_create_dev_master_key(tmp_path / "dev-master-key")
    with pytest.raises(ValidationError, match="the master key is the development one"):
        PersonalData(**REAL, data_dir=tmp_path, master_key=base64.b64encode(dev_key).decode())
    assert PersonalData(**REAL, data_dir=tmp_path, master_key=random_key()).master_key is not None


def test_a_service_without_personal_data_needs_no_master_key() -> None:
    assert NoPersonalData(**REAL).master_key is None


def test_development_accepts_the_defaults() -> None:
    settings = PersonalData(cors_origins="*")
    assert (settings.dev_issuer_enabled, settings.rate_limits_on, settings.cors_origin_list) == (
        True,
        False,
        ["*"],
    )


def test_a_rehearsal_environment_may_shift_the_clock_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """GSI_CLOCK_OFFSET_DAYS reaches every service's settings; ten years is the most."""
    monkeypatch.setenv("GSI_CLOCK_OFFSET_DAYS", "45")
    assert (PersonalData().clock_offset_days, NoPersonalData().clock_offset_days) == (45, 45)
    monkeypatch.setenv("GSI_CLOCK_OFFSET_DAYS", "36600")
    with pytest.raises(ValidationError, match="clock_offset_days"):
        NoPersonalData()


def test_a_shifted_clock_stops_a_production_service_when_it_reads_its_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reporting.settings import ReportingSettings

    monkeypatch.setenv("GSI_CLOCK_OFFSET_DAYS", "30")
    with pytest.raises(ValidationError) as raised:
        ReportingSettings(**REAL)
    assert "the business clock is shifted by +30 days (CLOCK_OFFSET_DAYS is for training" in str(raised.value)


def test_production_refusal_comes_from_the_environment_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GSI_ENVIRONMENT", "production")
    monkeypatch.setenv("GSI_DEV_ISSUER_ENABLED", "true")
    with pytest.raises(ValidationError, match="development token issuer is enabled"):
        PersonalData()


def test_registration_does_not_boot_with_development_defaults_in_production(tmp_path: Path) -> None:
    from registration.bootstrap import build
    from registration.settings import RegistrationSettings

    with pytest.raises(ValidationError, match="no master key for personal data"):
        build(RegistrationSettings(environment="production", data_dir=tmp_path))
    assert not (tmp_path / "registration.db").exists()  # refused before anything was created
