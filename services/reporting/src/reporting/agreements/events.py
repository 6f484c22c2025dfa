"""The agreement stream's events and the values they carry (the decisions:
:mod:`reporting.agreements.domain`). The event type names and payloads are stored: change them only
with an upcaster."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from gsi_kernel.events import DomainEvent


class Funding(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    fiscal_year: str  # 2026-2027
    amount_cents: int


class Target(BaseModel):
    """Targets of one period (a quarter, or the whole year) of one fiscal year."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fiscal_year: str
    period: str  # Q1..Q4 | year
    unique_persons: int = 0
    action_plans: int = 0
    interventions: dict[str, int] = {}  # per intervention code


class AgreementRecorded(DomainEvent):
    event_type = "AgreementRecorded"

    agreement_id: str
    organization_id: str
    program: str
    starts_on: date
    ends_on: date
    volets: tuple[str, ...]
    funding: tuple[Funding, ...] = ()
    targets: tuple[Target, ...] = ()


class AgreementAmended(DomainEvent):
    """The agreement's full state at version ``version`` (the period does not change, but an
    event that carries it is enough to publish the agreement), with the amendment's reason."""

    event_type = "AgreementAmended"

    agreement_id: str
    organization_id: str
    program: str
    starts_on: date
    ends_on: date
    version: int
    reason: str
    volets: tuple[str, ...]
    funding: tuple[Funding, ...]
    targets: tuple[Target, ...]


EVENTS = (AgreementRecorded, AgreementAmended)
