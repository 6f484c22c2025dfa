"""Request and response bodies of the interventions API (never the ORM rows themselves)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from interventions.domain.intervention import Details, Mode, Volet

_EXAMPLE: dict[str, JsonValue] = {
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

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    code: str = Field(
        pattern=r"^[A-Z]{3}$", description="Code d'intervention (ACC, EVB, SUI…) / Intervention code"
    )
    service_date: date = Field(description="Date du service (AAAA-MM-JJ) / Service date")
    duration_minutes: int = Field(ge=1, le=24 * 60, description="Durée en minutes / Duration in minutes")
    mode: Mode
    volet: Volet
    staff_member: str = Field(min_length=1, max_length=200, description="Intervenant·e / Staff member")
    notes: str | None = Field(default=None, max_length=2000)
    target_organization: str | None = Field(default=None, max_length=100, description="REF : organisme visé")
    referral_reason: str | None = Field(default=None, max_length=500, description="REF : motif / reason")

    def to_details(self) -> Details:
        return Details(**self.model_dump(include=set(Details.model_fields)))


class DeclareBody(DetailsBody):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"person_id": "0b7f3c1e-3f5a-4a43-9a57-0e6d8a1c2b11", **_EXAMPLE}]},
    )

    person_id: str = Field(min_length=1, max_length=36)


class CorrectBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"details": _EXAMPLE, "reason": "Date mal saisie"}]},
    )

    details: DetailsBody
    reason: str = Field(min_length=3, max_length=500, description="Motif de la correction / Reason")


class ReasonBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "Saisie en double"}]}
    )

    reason: str = Field(min_length=3, max_length=500, description="Motif / Reason")


class Created(BaseModel):
    id: str


class FlagView(BaseModel):
    check: str
    severity: str
    code: str
    fr: str
    en: str
    details: dict[str, Any]


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


class SessionBody(DetailsBody):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    **_EXAMPLE,
                    "code": "SIC",
                    "mode": "group",
                    "volet": "V2",
                    "title": "Séance d'information — vivre à Sherbrooke",
                    "attendees": [
                        "0b7f3c1e-3f5a-4a43-9a57-0e6d8a1c2b11",
                        "5d1e9a7c-2b8f-4c3d-8e6f-1a2b3c4d5e6f",
                    ],
                }
            ]
        },
    )

    title: str | None = Field(default=None, max_length=200)
    attendees: list[str] = Field(min_length=1, max_length=500, description="Personnes présentes / Attendees")


class SessionHeld(BaseModel):
    session_id: str
    interventions: dict[str, str]  # person id -> intervention id
