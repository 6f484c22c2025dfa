"""Request and response bodies of the persons' routes (with the examples OpenAPI shows), and the
reason every change and administrator's decision gives."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from gsi_contracts.registration import file_reference
from gsi_kernel.fields import (
    CountryCode,
    Email,
    Line,
    Lines,
    MaybeLine,
    MaybeName,
    Name,
    PostalCode,
    Region,
    label,
)
from registration.persons.values import VOLETS, ConsentPurpose, FrenchLevel, Sex, Status

# A reason asked with every change (and every administrator's decision).
REASON = Field(min_length=3, max_length=500, description="Motif du changement / Reason for the change")
_REGION = Field(default=None, description="Région administrative du Québec, 01 à 17")


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status
    effective_from: date = Field(
        description="Date d'effet du statut / Status effective date",
        json_schema_extra=label("Date d'effet", "Effective date"),
    )
    admission_date: date | None = Field(
        default=None,
        description="Date d'admission / Admission date",
        json_schema_extra=label("Date d'admission", "Admission date"),
    )
    expires_on: date | None = Field(
        default=None,
        description="Fin d'un statut temporaire / Temporary status end",
        json_schema_extra=label("Fin du statut temporaire", "Temporary status end"),
    )


class AddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region: Region | None = _REGION
    street: MaybeLine = Field(default=None, max_length=300, json_schema_extra=label("Rue", "Street"))
    municipality: MaybeName = Field(
        default=None, max_length=200, json_schema_extra=label("Municipalité", "Municipality")
    )
    postal_code: PostalCode | None = Field(
        default=None, json_schema_extra=label("Code postal", "Postal code")
    )


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

    family_name: Name = Field(max_length=200, json_schema_extra=label("Nom de famille", "Family name"))
    given_name: Name = Field(max_length=200, json_schema_extra=label("Prénom", "Given name"))
    birth_date: date = Field(json_schema_extra=label("Date de naissance", "Birth date"))
    sex: Sex = Field(json_schema_extra=label("Sexe", "Sex"))
    country_of_birth: CountryCode = Field(
        description="Code pays ISO 3166-1 alpha-2",
        json_schema_extra=label("Pays de naissance", "Country of birth"),
    )
    languages: list[Line] = Field(
        default_factory=list,
        max_length=10,
        description="Codes ISO 639-1",
        json_schema_extra=label("Langues parlées", "Languages spoken"),
    )
    french_level: FrenchLevel = Field(
        default=FrenchLevel.NONE, json_schema_extra=label("Niveau de français", "French level")
    )
    status: StatusIn
    uci: MaybeLine = Field(
        default=None,
        min_length=4,
        max_length=20,
        description="Identifiant client (IRCC)",
        json_schema_extra=label("IUC (identifiant client d'IRCC)", "UCI (IRCC client identifier)"),
    )
    email: Email | None = None
    phone: MaybeLine = Field(default=None, max_length=30)
    address: AddressIn | None = Field(default=None, json_schema_extra=label("Adresse", "Address"))
    consents: list[ConsentPurpose] = Field(
        default_factory=list, json_schema_extra=label("Consentements", "Consents")
    )


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
    file_number: int = Field(description="Numéro du dossier / File number")
    file_reference: str = Field(
        description="Référence du dossier, telle que les personnes la voient / The file's human reference",
        examples=["D-000123"],
    )
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
    file_number: int | None = Field(
        description="Numéro du dossier (aucun, brièvement, pour un dossier inscrit avant la "
        "numérotation) / File number (briefly none for a file registered before numbering)"
    )
    file_reference: str | None = Field(examples=["D-000123"])
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
        number = row.get("file_number")
        reference = file_reference(number) if number else None
        return cls.model_validate({**row, "eligible_volets": volets, "file_reference": reference})


class StatusPeriodOut(BaseModel):
    status: str
    effective_from: date
    admission_date: date | None
    expires_on: date | None
    reason: str | None = Field(
        description="Motif du changement (aucun à l'inscription) / Reason (none at registration)"
    )
    recorded_at: datetime = Field(description="Enregistré le / Recorded at")


class PersonFile(PersonSummary):
    consents: list[ConsentOut]
    documents: list[DocumentOut]
    statuses: list[StatusPeriodOut] = Field(
        description="Historique des statuts, par date d'effet / Status history, by effective date"
    )
    languages: list[str]
    french_level: str
    uci: str | None = Field(json_schema_extra=label("IUC (identifiant client d'IRCC)", "UCI"))
    email: str | None
    phone: str | None
    street: str | None
    municipality: str | None
    postal_code: str | None


class ReasonRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "Demande d'effacement (Loi 25)"}]}
    )

    reason: Lines = REASON
