"""HTTP resource: the confidentiality-incident register (Loi 25), for administrators."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Path, Query, status
from pydantic import BaseModel, ConfigDict, Field

from gsi_kernel.fields import Line, Lines, label
from gsi_kernel.http.context import context_for
from gsi_kernel.http.pagination import Page, Pagination
from gsi_kernel.http.security import Admin, authenticated_router
from gsi_kernel.http.threads import run_short
from registration.deps import IncidentsDep
from registration.incidents.events import IncidentFacts, NoticeRecipient

router = authenticated_router(
    prefix="/incidents", tags=["incidents de confidentialité / confidentiality incidents"]
)

IncidentId = Annotated[Line, Path(max_length=36, description="Identifiant de l'incident / Incident id")]

_REASON = Field(min_length=3, max_length=500, description="Motif / Reason")
_INFORMATION = label("Renseignements personnels concernés", "Personal information concerned")
_CIRCUMSTANCES = label("Circonstances", "Circumstances")
_RISK = label("Évaluation du risque de préjudice", "Assessment of the risk of injury")
_OCCURRED_ON = label("Date de l'incident", "Date of the incident")
_OCCURRED_UNTIL = label("Fin de l'incident", "End of the incident")
_OCCURRED_ESTIMATED = label("Date de l'incident estimée", "Date of the incident estimated")
_DETECTED_ON = label("Date de détection", "Detection date")
_PERSONS_CONCERNED = label("Personnes concernées", "Persons concerned")
_PERSONS_ESTIMATED = label("Nombre de personnes estimé", "Number of persons estimated")
_SERIOUS = label("Risque de préjudice sérieux", "Risk of serious injury")
# An upper bound only: a negative count is the domain's refusal (incident.negative_count).
_PERSONS = Field(
    le=100_000_000,
    description="Nombre de personnes concernées / Number of persons concerned",
    json_schema_extra=_PERSONS_CONCERNED,
)


class IncidentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "personal_information": "Noms, dates de naissance et adresses courriel",
                    "circumstances": "Liste de participants envoyée par courriel au mauvais organisme",
                    "occurred_on": "2026-11-02",
                    "detected_on": "2026-11-04",
                    "persons_concerned": 37,
                    "risk_assessment": "Peu sensibles; le destinataire a détruit le fichier",
                    "serious_injury_risk": False,
                }
            ]
        },
    )

    personal_information: Lines = Field(max_length=4000, json_schema_extra=_INFORMATION)
    circumstances: Lines = Field(max_length=4000, json_schema_extra=_CIRCUMSTANCES)
    occurred_on: date = Field(json_schema_extra=_OCCURRED_ON)
    occurred_until: date | None = Field(default=None, json_schema_extra=_OCCURRED_UNTIL)
    occurred_estimated: bool = Field(default=False, json_schema_extra=_OCCURRED_ESTIMATED)
    detected_on: date = Field(json_schema_extra=_DETECTED_ON)
    persons_concerned: int = _PERSONS
    persons_estimated: bool = Field(default=False, json_schema_extra=_PERSONS_ESTIMATED)
    risk_assessment: Lines = Field(max_length=4000, json_schema_extra=_RISK)
    serious_injury_risk: bool = Field(json_schema_extra=_SERIOUS)


class IncidentChanges(BaseModel):
    """The items to correct (only those given change) and why."""

    model_config = ConfigDict(extra="forbid")

    personal_information: Lines | None = Field(default=None, max_length=4000, json_schema_extra=_INFORMATION)
    circumstances: Lines | None = Field(default=None, max_length=4000, json_schema_extra=_CIRCUMSTANCES)
    occurred_on: date | None = Field(default=None, json_schema_extra=_OCCURRED_ON)
    occurred_until: date | None = Field(default=None, json_schema_extra=_OCCURRED_UNTIL)
    occurred_estimated: bool | None = Field(default=None, json_schema_extra=_OCCURRED_ESTIMATED)
    detected_on: date | None = Field(default=None, json_schema_extra=_DETECTED_ON)
    persons_concerned: int | None = Field(default=None, le=100_000_000, json_schema_extra=_PERSONS_CONCERNED)
    persons_estimated: bool | None = Field(default=None, json_schema_extra=_PERSONS_ESTIMATED)
    risk_assessment: Lines | None = Field(default=None, max_length=4000, json_schema_extra=_RISK)
    serious_injury_risk: bool | None = Field(default=None, json_schema_extra=_SERIOUS)
    reason: Lines = _REASON


class NoticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipient: NoticeRecipient = Field(json_schema_extra=label("Destinataire de l'avis", "Notice recipient"))
    sent_on: date = Field(json_schema_extra=label("Date d'envoi", "Date sent"))


class MeasureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: Lines = Field(max_length=4000)
    taken_on: date = Field(json_schema_extra=label("Date de la mesure", "Date taken"))


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Lines = _REASON


class Measure(BaseModel):
    description: str
    taken_on: date
    recorded_by: str
    recorded_at: datetime


class Change(BaseModel):
    event: str
    at: datetime
    by: str
    reason: str | None = None


class IncidentOut(IncidentFacts):
    model_config = ConfigDict(frozen=True, extra="ignore")

    incident_id: str
    commission_notified_on: date | None
    persons_notified_on: date | None
    public_notice_on: date | None
    measures: list[Measure]
    status: Literal["open", "closed"]
    closing_reason: str | None
    recorded_at: datetime
    recorded_by: str
    updated_at: datetime
    updated_by: str
    closed_at: datetime | None
    closed_by: str | None
    kept_until: date = Field(description="Conservé jusqu'au (5 ans après la détection) / Kept until")


class IncidentDetail(IncidentOut):
    history: list[Change]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=IncidentDetail)
async def record_incident(body: IncidentIn, admin: Admin, register: IncidentsDep) -> Any:
    """Inscrire un incident de confidentialité au registre / Record a confidentiality incident."""
    incident_id = await run_short(
        lambda: register.record(IncidentFacts.model_validate(body.model_dump()), context_for(admin))
    )
    return await run_short(lambda: register.get(incident_id))


@router.get("", response_model=Page[IncidentOut])
async def list_incidents(
    _admin: Admin,
    register: IncidentsDep,
    page: Pagination,
    state: Annotated[Literal["open", "closed"] | None, Query(alias="status")] = None,
    detected_from: Annotated[
        date | None, Query(json_schema_extra=label("Détecté depuis le", "Detected from"))
    ] = None,
    detected_to: Annotated[
        date | None, Query(json_schema_extra=label("Détecté jusqu'au", "Detected to"))
    ] = None,
) -> Page[IncidentOut]:
    """Le registre, les plus récents d'abord / The register, most recently detected first."""
    rows, total = await run_short(
        lambda: register.list(
            status=state,
            detected_from=detected_from,
            detected_to=detected_to,
            offset=page.offset,
            limit=page.limit,
        )
    )
    return Page(
        items=[IncidentOut.model_validate(r) for r in rows], total=total, offset=page.offset, limit=page.limit
    )


@router.get("/{incident_id}", response_model=IncidentDetail)
async def read_incident(incident_id: IncidentId, _admin: Admin, register: IncidentsDep) -> Any:
    """Une inscription du registre et son historique / A register entry and its history."""
    return await run_short(lambda: register.get(incident_id))


@router.patch("/{incident_id}", response_model=IncidentDetail)
async def correct_incident(
    incident_id: IncidentId, body: IncidentChanges, admin: Admin, register: IncidentsDep
) -> Any:
    """Corriger des éléments de l'inscription, avec le motif / Correct items, with the reason."""
    changes = body.model_dump(exclude_unset=True, exclude={"reason"})
    await run_short(lambda: register.correct(incident_id, changes, body.reason, context_for(admin)))
    return await run_short(lambda: register.get(incident_id))


@router.post("/{incident_id}/notices", response_model=IncidentDetail)
async def record_notice(incident_id: IncidentId, body: NoticeIn, admin: Admin, register: IncidentsDep) -> Any:
    """Avis transmis à la Commission, aux personnes ou au public / Notice sent to the Commission,
    the persons or the public."""
    await run_short(
        lambda: register.send_notice(incident_id, body.recipient, body.sent_on, context_for(admin))
    )
    return await run_short(lambda: register.get(incident_id))


@router.post("/{incident_id}/measures", response_model=IncidentDetail)
async def record_measure(
    incident_id: IncidentId, body: MeasureIn, admin: Admin, register: IncidentsDep
) -> Any:
    """Mesure prise pour diminuer le risque de préjudice / Measure taken to reduce the risk of injury."""
    await run_short(
        lambda: register.take_measure(incident_id, body.description, body.taken_on, context_for(admin))
    )
    return await run_short(lambda: register.get(incident_id))


@router.post("/{incident_id}/close", response_model=IncidentDetail)
async def close_incident(incident_id: IncidentId, body: CloseIn, admin: Admin, register: IncidentsDep) -> Any:
    """Fermer le dossier (avis faits si le risque est sérieux) / Close the file (notices sent if the
    risk is serious)."""
    await run_short(lambda: register.close(incident_id, body.reason, context_for(admin)))
    return await run_short(lambda: register.get(incident_id))
