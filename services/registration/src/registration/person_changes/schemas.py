"""Request and response bodies of the changes to a person's file (with the examples OpenAPI
shows)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from gsi_kernel.fields import InterventionCode, Lines, VoletCode, label
from registration.persons.schemas import REASON, AddressIn, StatusIn
from registration.persons.values import ConsentPurpose


class EligibilityCheckRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"on": "2026-11-20", "volet": "V1"}]}
    )

    on: date | None = Field(
        default=None,
        description="Date d'évaluation (défaut : aujourd'hui) / Evaluation date (default: today)",
    )
    volet: VoletCode | None = Field(default=None, description="Ce volet seulement / This volet only")
    code: InterventionCode | None = Field(default=None, description="Code d'intervention (ex. OBI)")


class ChangeStatusRequest(StatusIn):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "status": "protected_person",
                    "effective_from": "2026-11-20",
                    "reason": "Décision de la CISR reçue",
                }
            ]
        },
    )

    reason: Lines = REASON


class ChangeAddressRequest(AddressIn):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "region": "03",
                    "municipality": "Québec",
                    "effective_from": "2026-11-15",
                    "reason": "Déménagement",
                }
            ]
        },
    )

    effective_from: date = Field(json_schema_extra=label("Date d'effet", "Effective date"))
    reason: Lines = REASON


class ConsentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"purpose": "research"}]})

    purpose: ConsentPurpose


class WithdrawConsentRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "Demande de la personne"}]}
    )

    reason: Lines = REASON


class DocumentCreated(BaseModel):
    document_id: str
