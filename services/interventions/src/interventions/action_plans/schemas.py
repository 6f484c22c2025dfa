"""Request and response models of the action plans resource (:mod:`.api`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from gsi_kernel.fields import ClearableLines, InterventionCode, Line, Lines, MaybeLines, Name, label
from interventions.action_plans.app import PlanDetail
from interventions.action_plans.domain import NEED_LABELS, Need, ObjectiveStatus, Outcome, ServiceStatus

Text = Annotated[Line, StringConstraints(min_length=1, max_length=500)]
Reason = Annotated[Lines, StringConstraints(min_length=3, max_length=500)]
Code = Annotated[InterventionCode, Field(description="Code d'intervention (PDI, SUI, REF…)")]
_PLANNED_ON = label("Date prévue", "Planned date")


class PlannedServiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    planned_on: date = Field(description="Date prévue / Planned date", json_schema_extra=_PLANNED_ON)
    note: MaybeLines = Field(default=None, max_length=1000)


class OpenActionPlanRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "person_id": "0b7f3c1e-3f5a-4a43-9a57-0e6d8a1c2b11",
                    "opened_on": "2026-11-20",
                    "needs": ["housing", "health_card", "sin", "french_courses"],
                    "objectives": ["Trouver un logement permanent d'ici février"],
                    "planned_services": [{"code": "PDI", "planned_on": "2026-11-27", "note": "RAMQ"}],
                }
            ]
        },
    )

    person_id: Line = Field(min_length=1, max_length=36)
    opened_on: date = Field(
        description="Date d'ouverture (pas dans le futur) / Opening date (not in the future)",
        json_schema_extra=label("Date d'ouverture", "Opening date"),
    )
    needs: list[Need] = Field(min_length=1, max_length=len(Need), json_schema_extra=label("Besoins", "Needs"))
    objectives: list[Text] = Field(
        default_factory=list, max_length=30, json_schema_extra=label("Objectifs", "Objectives")
    )
    planned_services: list[PlannedServiceIn] = Field(
        default_factory=list, max_length=50, json_schema_extra=label("Services prévus", "Planned services")
    )


class AddObjectiveRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"text": "Inscrire les enfants à la garderie"}]}
    )

    text: Text
    reason: MaybeLines = Field(default=None, min_length=3, max_length=500)


class UpdateObjectiveRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "achieved", "reason": "Bail signé le 2 décembre"}]},
    )

    text: Text | None = None
    status: ObjectiveStatus | None = None
    reason: Reason


class AddPlannedServiceRequest(PlannedServiceIn):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"code": "REF", "planned_on": "2026-12-04", "note": "Francisation"}]},
    )

    reason: MaybeLines = Field(default=None, min_length=3, max_length=500)


class UpdatePlannedServiceRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"planned_on": "2026-12-11", "reason": "Rendez-vous déplacé"}]},
    )

    planned_on: date | None = Field(default=None, json_schema_extra=_PLANNED_ON)
    note: ClearableLines = Field(
        default=None, max_length=1000, description='"" efface la note / "" clears the note'
    )
    status: ServiceStatus | None = None
    reason: Reason


class FollowUpRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"held_on": "2026-11-27", "note": "Carte RAMQ reçue", "staff_member": "karine@org-sherbrooke"}
            ]
        },
    )

    held_on: date = Field(
        description="Date du suivi / Follow-up date",
        json_schema_extra=label("Date du suivi", "Follow-up date"),
    )
    note: Lines = Field(min_length=1, max_length=2000)
    staff_member: Name = Field(min_length=1, max_length=200)


class CloseActionPlanRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"closed_on": "2027-03-15", "outcome": "completed", "reason": "Objectifs atteints"}]
        },
    )

    closed_on: date = Field(json_schema_extra=label("Date de fermeture", "Closing date"))
    outcome: Outcome = Field(json_schema_extra=label("Résultat", "Outcome"))
    reason: Reason


class PlanCreated(BaseModel):
    plan_id: str


class ObjectiveCreated(BaseModel):
    objective_id: str


class PlannedServiceCreated(BaseModel):
    service_id: str


class FollowUpCreated(BaseModel):
    follow_up_id: str


class NeedView(BaseModel):
    code: str
    fr: str
    en: str

    @classmethod
    def of(cls, code: str) -> NeedView:
        fr, en = NEED_LABELS[Need(code)]
        return cls(code=code, fr=fr, en=en)


class ObjectiveView(BaseModel):
    objective_id: str
    text: str
    status: str


class PlannedServiceView(BaseModel):
    service_id: str
    code: str
    planned_on: date
    note: str | None
    status: str


class PlanFollowUpView(BaseModel):
    follow_up_id: str
    held_on: date
    note: str
    staff_member: str


class ChangeView(BaseModel):
    version: int
    at: datetime
    actor: str
    change: str
    reason: str | None
    details: dict[str, Any]


class ActionPlanSummary(BaseModel):
    plan_id: str
    organization_id: str
    person_id: str
    status: str
    opened_on: date
    closed_on: date | None
    outcome: str | None
    needs: list[NeedView]
    objective_count: int
    planned_service_count: int
    follow_up_count: int
    last_follow_up_on: date | None
    opened_at: datetime
    opened_by: str

    @classmethod
    def of(cls, row: dict[str, Any]) -> ActionPlanSummary:
        return cls.model_validate({**row, "needs": [NeedView.of(n) for n in row["needs"]]})


class ActionPlanView(BaseModel):
    plan_id: str
    organization_id: str
    person_id: str
    status: str
    opened_on: date
    closed_on: date | None
    outcome: str | None
    closure_reason: str | None
    needs: list[NeedView]
    objectives: list[ObjectiveView]
    planned_services: list[PlannedServiceView]
    follow_ups: list[PlanFollowUpView]
    opened_at: datetime
    opened_by: str
    history: list[ChangeView]

    @classmethod
    def of(cls, detail: PlanDetail) -> ActionPlanView:
        p = detail.plan
        return cls(
            plan_id=p.plan_id,
            organization_id=p.organization_id,
            person_id=p.person_id,
            status=p.status,
            opened_on=p.opened_on,
            closed_on=p.closed_on,
            outcome=p.outcome,
            closure_reason=p.closure_reason,
            needs=[NeedView.of(n) for n in p.needs],
            objectives=[ObjectiveView.model_validate(o, from_attributes=True) for o in p.objectives],
            planned_services=[PlannedServiceView.model_validate(s, from_attributes=True) for s in p.services],
            follow_ups=[PlanFollowUpView.model_validate(f, from_attributes=True) for f in p.follow_ups],
            opened_at=detail.opened_at,
            opened_by=detail.opened_by,
            history=[ChangeView.model_validate(c, from_attributes=True) for c in detail.history],
        )
