"""Request and response bodies of the reports and calendar API (never the rows themselves)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from gsi_kernel.fields import Line, Lines, MaybeLines, label

_EXAMPLE_ID = "0b7f3c1e-3f5a-4a43-9a57-0e6d8a1c2b11"
Reason = Field(min_length=3, max_length=2000, description="Motif / Reason")
_INTERVENTION = Field(min_length=1, max_length=36)


# ---- requests ------------------------------------------------------------------------------


class AcceptBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {},
                {"override_reason": "Erreur C1 connue : statut confirmé par IRCC, correction en cours"},
            ]
        },
    )

    override_reason: MaybeLines = Field(
        default=None,
        min_length=3,
        max_length=2000,
        description="Obligatoire s'il reste des erreurs bloquantes / Required while blocking errors remain",
        json_schema_extra=label("Motif de dérogation", "Override reason"),
    )


class RejectedItemBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    intervention_id: Line = _INTERVENTION
    reason: Lines = Reason


class RejectBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "reason": "Suivis sans plan d'action et un doublon à corriger",
                    "items": [
                        {"intervention_id": _EXAMPLE_ID, "reason": "Suivi (SUI) sans plan d'action actif"}
                    ],
                }
            ]
        },
    )

    reason: Lines = Field(min_length=3, max_length=4000, description="Motif global / Global reason")
    items: list[RejectedItemBody] = Field(default_factory=list, max_length=5000)
    resubmission_due: date | None = Field(
        default=None,
        json_schema_extra=label("Délai de resoumission", "Resubmission deadline"),
        description=(
            "Dernier jour pour resoumettre : un jour ouvrable après aujourd'hui, au plus 60 jours "
            "ouvrables plus tard ; par défaut, la règle du calendrier / Last day to resubmit: a "
            "business day after today, at most 60 business days ahead; by default, the calendar's rule"
        ),
    )


class ResubmissionWindowView(BaseModel):
    """What a rejection made today would give: the default deadline and the days one may choose."""

    default: date
    earliest: date
    latest: date


class AnswerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    intervention_id: Line = _INTERVENTION
    answer: Lines = Field(min_length=1, max_length=2000, description="Réponse / Answer")


class AnswersBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"answers": [{"intervention_id": _EXAMPLE_ID, "answer": "Plan d'action ouvert le 12 mai"}]}
            ]
        },
    )

    answers: list[AnswerBody] = Field(min_length=1, max_length=5000)


class ReasonBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "Correction demandée par la vérification interne"}]},
    )

    reason: Lines = Reason


# ---- responses -----------------------------------------------------------------------------


class FindingView(BaseModel):
    intervention_id: str
    check: str
    severity: str
    code: str
    fr: str
    en: str
    details: dict[str, Any] = {}


class SummaryView(BaseModel):
    errors: int
    warnings: int
    by_check: dict[str, int]
    blocking: bool


class VerificationView(BaseModel):
    """A run of the checks: every finding, and the summary (errors block acceptance)."""

    report_id: str
    organization_id: str
    quarter: str
    interventions_count: int
    persons_count: int
    summary: SummaryView
    findings: list[FindingView]
    catalogue_versions: list[str]
    rule_set_versions: list[str]
    sha256: str  # of what a submission would freeze now


class RejectionItemView(BaseModel):
    intervention_id: str
    reason: str
    answer: str | None
    answered_at: datetime | None
    answered_by: str | None


class RejectionView(BaseModel):
    rejection_number: int
    submission_version: int
    reason: str
    failed_checks: list[dict[str, Any]]
    resubmission_due: date
    rejected_at: datetime
    rejected_by: str
    items: list[RejectionItemView]


class ReportView(BaseModel):
    report_id: str
    organization_id: str
    quarter: str
    state: str
    submission_version: int
    interventions_count: int
    persons_count: int
    errors: int = Field(description="Erreurs de la soumission en cours / Errors of the current submission")
    warnings: int
    sha256: str | None = None
    covered: bool = Field(
        default=True,
        description=(
            "Une convention couvre le trimestre : un rapport est dû / An agreement covers the "
            "quarter: a report is owed"
        ),
    )
    submission_opens_on: date | None = Field(
        default=None, description="Premier jour de soumission / First day to submit"
    )
    submission_due: date | None = None
    late: bool = Field(
        default=False,
        description=(
            "En retard aujourd'hui : brouillon après l'échéance, refus après le délai de resoumission, "
            "ou soumission tardive / Late today: a draft past the deadline, a rejection past the "
            "resubmission deadline, or a late submission"
        ),
    )
    submitted_at: datetime | None = None
    submitted_by: str | None = None
    control_due: date | None = None
    resubmission_due: date | None = None
    taken_at: datetime | None = None
    taken_by: str | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    override_reason: str | None = None
    locked_at: datetime | None = None
    locked_by: str | None = None
    unlocked_at: datetime | None = None
    unlocked_by: str | None = None
    unlock_reason: str | None = None
    verified_at: datetime | None = None
    verified_by: str | None = None
    verified_errors: int | None = None
    verified_warnings: int | None = None
    rejection: RejectionView | None = None


class SubmittedItemView(BaseModel):
    intervention_id: str
    version: int
    person_id: str | None
    code: str | None
    service_date: date | None
    volet: str | None
    mode: str | None
    duration_minutes: int | None
    staff_member: str | None
    target_organization: str | None
    referral_reason: str | None
    session_id: str | None
    flags: list[FindingView]
    rejection_reason: str | None


class FlaggedView(BaseModel):
    """Each check that flagged anything in a submission: its first flagged interventions."""

    by_check: dict[str, list[SubmittedItemView]]


class SubmissionView(BaseModel):
    """What a submission froze; ``items`` is one page of its interventions."""

    report_id: str
    submission_version: int
    sha256: str
    interventions_count: int
    persons_count: int
    errors: int
    warnings: int
    by_check: dict[str, int]
    findings_truncated: bool
    catalogue_versions: list[str]
    rule_set_versions: list[str]
    submitted_on: date
    submission_due: date
    late: bool
    control_due: date
    submitted_at: datetime
    submitted_by: str
    items: list[SubmittedItemView]
    matching: int = Field(
        description="Interventions retenues par le filtre, toutes pages / Items the filter keeps, all pages"
    )
    offset: int
    limit: int


class VersionedItem(BaseModel):
    intervention_id: str
    version: int


class ChangedItem(BaseModel):
    intervention_id: str
    submitted_version: int
    current_version: int


class IntegrityView(BaseModel):
    """``intact``: the quarter's interventions are still exactly those submitted; else what differs."""

    report_id: str
    submission_version: int
    status: str  # intact | changed
    sha256: str
    snapshot_sha256: str
    record_intact: bool
    current_sha256: str
    added: list[VersionedItem]
    removed: list[VersionedItem]
    changed: list[ChangedItem]


class HistoryEntry(BaseModel):
    version: int
    event: str
    at: datetime
    by: str
    details: dict[str, Any]


class ReportRow(BaseModel):
    report_id: str
    organization_id: str
    quarter: str
    state: str
    submission_version: int
    interventions_count: int
    persons_count: int
    errors: int
    warnings: int
    late: bool
    submitted_at: datetime | None
    submission_due: date | None
    control_due: date | None
    resubmission_due: date | None
    taken_by: str | None
    decided_by: str | None
    updated_at: datetime | None = Field(
        description="Aucune : brouillon jamais ouvert / None: a draft never opened"
    )


class QueueEntry(ReportRow):
    age_days: int = Field(description="Jours depuis la soumission / Days since submission")
    days_left: int | None = Field(
        description="Jours avant l'échéance du contrôle / Days to the control deadline"
    )
    overdue: bool


class QuarterOverview(BaseModel):
    quarter: str
    reports: int = Field(
        description=(
            "Rapports dus, brouillons jamais ouverts compris / Reports owed, untouched drafts included"
        )
    )
    late: int = Field(description="Rapports en retard aujourd'hui / Reports late today")
    late_submissions: int = Field(
        default=0,
        description="Soumis en retard / Submitted late (submitted, under control, accepted, locked)",
    )
    late_drafts: int = Field(
        default=0, description="Brouillons après l'échéance / Drafts past their deadline"
    )
    states: dict[str, int]
