"""Request and response bodies of the registration API (with the examples OpenAPI shows)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from registration.domain.values import VOLETS, ConsentPurpose, FrenchLevel, Sex, Status

_NAME = Field(min_length=1, max_length=200)
_REASON = Field(min_length=3, max_length=500, description="Motif du changement / Reason for the change")
_REGION = Field(default=None, pattern=r"^\d{2}$", description="Région administrative du Québec, 01 à 17")


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status
    effective_from: date = Field(description="Date d'effet du statut / Status effective date")
    admission_date: date | None = Field(default=None, description="Date d'admission / Admission date")
    expires_on: date | None = Field(
        default=None, description="Fin d'un statut temporaire / Temporary status end"
    )


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region: str | None = _REGION
    street: str | None = Field(default=None, max_length=300)
    municipality: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, pattern=r"^[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d$")


class RegisterPersonRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "family_name": "Haddad",
                    "given_name": "Amina",
                    "birth_date": "1984-03-12",
                    "sex": "F",
                    "country_of_birth": "SY",
                    "languages": ["ar", "en"],
                    "french_level": "beginner",
                    "status": {
                        "status": "government_assisted_refugee",
                        "effective_from": "2026-11-02",
                        "admission_date": "2026-11-02",
                    },
                    "uci": "1234-5678",
                    "email": "amina@example.org",
                    "phone": "+1 819 555 0100",
                    "address": {
                        "region": "05",
                        "street": "12 rue King Ouest",
                        "municipality": "Sherbrooke",
                        "postal_code": "J1H 1N9",
                    },
                    "consents": ["service_delivery", "ministry_reporting"],
                }
            ]
        },
    )

    family_name: str = _NAME
    given_name: str = _NAME
    birth_date: date
    sex: Sex
    country_of_birth: str = Field(pattern=r"^[A-Z]{2}$", description="Code pays ISO 3166-1 alpha-2")
    languages: list[str] = Field(default_factory=list, max_length=10, description="Codes ISO 639-1")
    french_level: FrenchLevel = FrenchLevel.NONE
    status: StatusIn
    uci: str | None = Field(
        default=None, min_length=4, max_length=20, description="Identifiant client (IRCC)"
    )
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=30)
    address: AddressIn | None = None
    consents: list[ConsentPurpose] = Field(default_factory=list)


class FailureOut(BaseModel):
    rule: str
    severity: str
    fr: str
    en: str
    details: dict[str, Any] = {}


class EvaluationOut(BaseModel):
    volet: str
    eligible: bool
    on_date: date
    code: str | None
    status: str | None
    rule_set_version: str
    failures: list[FailureOut]


class RegisteredOut(BaseModel):
    person_id: str
    possible_duplicate: bool = Field(
        description="Peut-être déjà connue ailleurs (sans détail) / May be known elsewhere (no details)"
    )
    eligibility: list[EvaluationOut]


class ConsentOut(BaseModel):
    purpose: str
    given_at: datetime
    withdrawn_at: datetime | None
    withdrawal_reason: str | None


class DocumentOut(BaseModel):
    document_id: str
    kind: str
    media_type: str
    size: int
    sha256: str
    uploaded_at: datetime
    uploaded_by: str


class PersonSummary(BaseModel):
    person_id: str
    organization_id: str
    family_name: str | None
    given_name: str | None
    birth_date: date
    sex: str
    country_of_birth: str
    status: str
    status_since: date
    region: str | None
    eligible_volets: list[str]
    eligibility_on: date | None
    registered_at: datetime
    erased: bool
    merged_into: str | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> PersonSummary:
        volets = [volet for volet in VOLETS if row.get(f"eligible_{volet.lower()}")]
        return cls.model_validate({**row, "eligible_volets": volets})


class PersonFile(PersonSummary):
    consents: list[ConsentOut]
    documents: list[DocumentOut]


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

    reason: str = _REASON


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

    effective_from: date
    reason: str = _REASON


class ConsentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"purpose": "research"}]})

    purpose: ConsentPurpose


class WithdrawConsentRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "Demande de la personne"}]}
    )

    reason: str = _REASON


class ReasonRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "Demande d'effacement (Loi 25)"}]}
    )

    reason: str = _REASON


class DocumentCreated(BaseModel):
    document_id: str
