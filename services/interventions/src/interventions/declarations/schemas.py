"""Request and response bodies of the declarations' routes (never the ORM rows themselves); the
checks' routes reuse ``DeclareBody`` and ``FlagView``, the sessions' ``DetailsBody``, the lock
exceptions' ``ReasonBody`` and ``Created``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, computed_field

from gsi_kernel.fields import InterventionCode, Line, Lines, MaybeLine, MaybeLines, Name, label
from interventions.checks.remedies import remedy
from interventions.declarations.domain import Details, Mode, Volet

EXAMPLE: dict[str, JsonValue] = {
    "code": "SUI",
    "service_date": "2026-11-20",
    "duration_minutes": 60,
    "mode": "in_person",
    "volet": "V1",
    "staff_member": "karine@org-sherbrooke",
    "notes": "Suivi des démarches de logement",
}


class DetailsBody(BaseModel):
    """What an organization declares about an intervention (and may correct)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE]})

    code: InterventionCode = Field(description="Code d'intervention (ACC, EVB, SUI…) / Intervention code")
    service_date: date = Field(
        description="Date du service (AAAA-MM-JJ) / Service date",
        json_schema_extra=label("Date du service", "Service date"),
    )
    duration_minutes: int = Field(
        ge=1,
        le=24 * 60,
        description="Durée en minutes / Duration in minutes",
        json_schema_extra=label("Durée (minutes)", "Duration (minutes)"),
    )
    mode: Mode
    volet: Volet
    staff_member: Name = Field(min_length=1, max_length=200, description="Intervenant·e / Staff member")
    notes: MaybeLines = Field(default=None, max_length=2000)
    target_organization: MaybeLine = Field(
        default=None,
        max_length=100,
        description="REF : organisme visé",
        json_schema_extra=label("Organisme visé par la référence", "Organization referred to"),
    )
    referral_reason: MaybeLines = Field(
        default=None,
        max_length=500,
        description="REF : motif / reason",
        json_schema_extra=label("Motif de la référence", "Referral reason"),
    )

    def to_details(self) -> Details:
        return Details(**self.model_dump(include=set(Details.model_fields)))


class DeclareBody(DetailsBody):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"person_id": "0b7f3c1e-3f5a-4a43-9a57-0e6d8a1c2b11", **EXAMPLE}]},
    )

    person_id: Line = Field(min_length=1, max_length=36)


class CorrectBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"details": EXAMPLE, "reason": "Date mal saisie"}]},
    )

    details: DetailsBody
    reason: Lines = Field(min_length=3, max_length=500, description="Motif de la correction / Reason")


class ReasonBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "Saisie en double"}]}
    )

    reason: Lines = Field(min_length=3, max_length=500, description="Motif / Reason")


class Created(BaseModel):
    id: str


class Bilingual(BaseModel):
    fr: str
    en: str


class FlagView(BaseModel):
    check: str
    severity: str
    code: str
    fr: str
    en: str
    details: dict[str, Any]

    @computed_field(description="Comment corriger / How to fix it")  # type: ignore[prop-decorator]
    @property
    def fix(self) -> Bilingual:
        fr, en = remedy(self.code)
        return Bilingual(fr=fr, en=en)


class InterventionView(BaseModel):
    intervention_id: str
    organization_id: str
    person_id: str
    code: str
    service_date: date
    quarter: str
    duration_minutes: int
    mode: str
    volet: str
    staff_member: str
    notes: str | None
    target_organization: str | None
    referral_reason: str | None
    session_id: str | None
    import_id: str | None
    status: str
    version: int
    errors: int
    warnings: int
    declared_at: datetime
    declared_by: str
    updated_at: datetime
    updated_by: str


class InterventionDetail(InterventionView):
    flags: list[FlagView]


class QuarterSummary(BaseModel):
    """A quarter's active interventions, and how many carry an error or a warning."""

    quarter: str
    active: int
    with_errors: int = Field(description="Avec au moins une erreur / With at least one error")
    with_warnings: int = Field(description="Avec au moins un avertissement / With at least one warning")


class DeclaredView(BaseModel):
    """The answer to a declaration: its id and, at once, what would be rejected at verify."""

    intervention_id: str
    flags: list[FlagView]


class HistoryEntry(BaseModel):
    version: int
    type: str
    occurred_at: datetime
    actor: str
    reason: str | None
    details: dict[str, Any] | None
    flags: list[FlagView]
