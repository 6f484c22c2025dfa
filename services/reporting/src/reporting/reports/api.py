"""HTTP resource: quarterly reports — read, verify, submit, answer a rejection, see what a
submission froze, its findings, its integrity and the audit trail. (The ministry's steps are in
:mod:`reporting.control.api`.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import Depends, Path, Query

from gsi_kernel.auth import Principal, Role
from gsi_kernel.envelope import CommandContext
from gsi_kernel.fields import CheckCode, Line
from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.http.context import context_for
from gsi_kernel.http.pagination import Page, Pagination
from gsi_kernel.http.security import Reader, authenticated_router, require_roles
from gsi_kernel.http.threads import in_thread, run_short
from reporting.deps import AuditDep, QueriesDep, ReportsDep
from reporting.reports.app import parse_quarter
from reporting.reports.events import ItemAnswer, report_id
from reporting.reports.queries import ReportQueries
from reporting.reports.schemas import (
    AnswersBody,
    FindingView,
    FlaggedView,
    HistoryEntry,
    IntegrityView,
    ReportView,
    SubmissionView,
    SummaryView,
    VerificationView,
)
from reporting.reports.verification import Verdict

router = authenticated_router(prefix="/reports", tags=["rapports / reports"])

Manager = Annotated[Principal, Depends(require_roles(Role.ORG_MANAGER))]
OrganizationId = Annotated[Line, Path(min_length=1, max_length=100, examples=["org-sherbrooke"])]
Quarter = Annotated[Line, Path(examples=["2026-2027-Q3"], description="Trimestre financier / Fiscal quarter")]
Version = Annotated[int, Path(ge=1, description="Numéro de soumission / Submission number")]


def report_view(
    queries: ReportQueries, organization_id: str, quarter: str, principal: Principal
) -> ReportView:
    return ReportView.model_validate(queries.report(organization_id, parse_quarter(quarter), principal))


# A step of the workflow on one report: (its quarter, the command's context) -> whatever it returns.
Step = Callable[[FiscalQuarter, CommandContext], object]


async def step_then_view(
    step: Step, queries: ReportQueries, organization_id: str, quarter: str, principal: Principal
) -> ReportView:
    """Take a short workflow step on a report, then read the report as its caller now sees it:
    both on the event loop in one hop (ADR 29), the read after the step's commit."""

    def run() -> ReportView:
        step(parse_quarter(quarter), context_for(principal, organization_id))
        return report_view(queries, organization_id, quarter, principal)

    return await run_short(run)


@router.get("/{organization_id}/{quarter}", response_model=ReportView)
async def get_report(
    organization_id: OrganizationId, quarter: Quarter, principal: Reader, queries: QueriesDep
) -> ReportView:
    """Rapport trimestriel : état, échéances, décomptes, refus en cours / Quarterly report: state,
    deadlines, counts, open rejection."""
    return await run_short(lambda: report_view(queries, organization_id, quarter, principal))


@router.post("/{organization_id}/{quarter}/verify", response_model=VerificationView)
async def verify_report(
    organization_id: OrganizationId, quarter: Quarter, principal: Manager, reports: ReportsDep
) -> VerificationView:
    """Vérifier : contrôles C1–C8 sur les interventions du trimestre, toutes les non-conformités et
    le résumé (autant de fois que voulu) / Verify: checks C1–C8 over the quarter's interventions,
    every non-conformity and the summary (as often as wanted)."""
    period, context = parse_quarter(quarter), context_for(principal, organization_id)
    verdict = await in_thread(lambda: reports.verify(organization_id, period, principal, context))
    return _verification_view(verdict)


@router.post("/{organization_id}/{quarter}/submit", response_model=ReportView)
async def submit_report(
    organization_id: OrganizationId,
    quarter: Quarter,
    principal: Manager,
    reports: ReportsDep,
    queries: QueriesDep,
) -> ReportView:
    """Soumettre (ou resoumettre après un refus) : les contrôles sont refaits, l'instantané et son
    empreinte SHA-256 figés / Submit (or resubmit after a rejection): the checks run again, the
    snapshot and its SHA-256 are frozen."""
    period, context = parse_quarter(quarter), context_for(principal, organization_id)
    await in_thread(lambda: reports.submit(organization_id, period, principal, context))  # every check
    return await run_short(lambda: report_view(queries, organization_id, quarter, principal))


@router.post("/{organization_id}/{quarter}/answers", response_model=ReportView)
async def answer_rejection(
    organization_id: OrganizationId,
    quarter: Quarter,
    body: AnswersBody,
    principal: Manager,
    reports: ReportsDep,
    queries: QueriesDep,
) -> ReportView:
    """Répondre au refus, intervention par intervention / Answer the rejection, item by item."""
    answers = [ItemAnswer(intervention_id=a.intervention_id, answer=a.answer) for a in body.answers]
    return await step_then_view(
        lambda period, context: reports.answer(organization_id, period, answers, principal, context),
        queries,
        organization_id,
        quarter,
        principal,
    )


@router.get("/{organization_id}/{quarter}/submissions/{version}", response_model=SubmissionView)
async def get_submission(
    organization_id: OrganizationId,
    quarter: Quarter,
    version: Version,
    principal: Reader,
    queries: QueriesDep,
    page: Pagination,
    check: Annotated[
        CheckCode | None,
        Query(description="Seulement les interventions signalées par ce contrôle / Only those it flagged"),
    ] = None,
) -> SubmissionView:
    """Exactement ce qui a été soumis : chaque intervention à sa version soumise, ses signalements
    et le motif de refus ; ``check`` : seulement celles que ce contrôle a signalées (``matching`` :
    combien) / Exactly what was submitted: each intervention at its submitted version, its flags
    and the rejection reason; ``check``: only those that check flagged (``matching``: how many)."""
    found = await run_short(
        lambda: queries.submission(
            organization_id,
            parse_quarter(quarter),
            version,
            principal,
            offset=page.offset,
            limit=page.limit,
            check=check,
        )
    )
    return SubmissionView.model_validate(found)


@router.get("/{organization_id}/{quarter}/submissions/{version}/flagged", response_model=FlaggedView)
async def flagged_by_check(
    organization_id: OrganizationId,
    quarter: Quarter,
    version: Version,
    principal: Reader,
    queries: QueriesDep,
    limit: Annotated[int, Query(ge=1, le=100, description="Par contrôle / Per check")] = 20,
) -> FlaggedView:
    """Pour chaque contrôle qui a signalé quelque chose, ses ``limit`` premières interventions
    signalées, telles que soumises / For each check that flagged anything, its first ``limit``
    flagged interventions, as submitted."""
    found = await run_short(
        lambda: queries.flagged(organization_id, parse_quarter(quarter), version, principal, limit=limit)
    )
    return FlaggedView.model_validate({"by_check": found})


@router.get("/{organization_id}/{quarter}/submissions/{version}/findings", response_model=Page[FindingView])
async def submission_findings(
    organization_id: OrganizationId,
    quarter: Quarter,
    version: Version,
    principal: Reader,
    queries: QueriesDep,
    page: Pagination,
    severity: Literal["error", "warning"] | None = None,
    check: CheckCode | None = None,
) -> Page[FindingView]:
    """Les non-conformités figées à la soumission / The findings frozen at submission."""
    rows, total = await run_short(
        lambda: queries.findings(
            organization_id,
            parse_quarter(quarter),
            version,
            principal,
            severity=severity,
            check=check,
            offset=page.offset,
            limit=page.limit,
        )
    )
    return Page(items=[FindingView(**r) for r in rows], total=total, offset=page.offset, limit=page.limit)


@router.get("/{organization_id}/{quarter}/integrity", response_model=IntegrityView)
async def report_integrity(
    organization_id: OrganizationId,
    quarter: Quarter,
    principal: Reader,
    audit: AuditDep,
    version: Annotated[
        int | None, Query(ge=1, description="Soumission (défaut : la dernière) / Submission")
    ] = None,
) -> IntegrityView:
    """Intégrité : « intact », ou les interventions ajoutées, retirées ou modifiées depuis la
    soumission / Integrity: "intact", or the interventions added, removed or changed since."""
    return await run_short(
        lambda: IntegrityView.model_validate(
            audit.integrity(organization_id, parse_quarter(quarter), version, principal)
        )
    )


@router.get("/{organization_id}/{quarter}/history", response_model=list[HistoryEntry])
async def report_history(
    organization_id: OrganizationId, quarter: Quarter, principal: Reader, audit: AuditDep
) -> list[HistoryEntry]:
    """Chaque étape : quoi, qui, quand, pourquoi / Every step: what, who, when, why."""
    return await run_short(
        lambda: [
            HistoryEntry.model_validate(s)
            for s in audit.history(organization_id, parse_quarter(quarter), principal)
        ]
    )


def _verification_view(verdict: Verdict) -> VerificationView:
    v = verdict.verification
    return VerificationView(
        report_id=report_id(v.organization_id, v.quarter),
        organization_id=v.organization_id,
        quarter=str(v.quarter),
        interventions_count=v.interventions_count,
        persons_count=v.persons_count,
        summary=SummaryView(**v.summary.model_dump()),
        findings=[FindingView(**f.to_dict()) for f in verdict.findings],
        catalogue_versions=list(v.snapshot.catalogue_versions),
        rule_set_versions=list(v.snapshot.rule_set_versions),
        sha256=v.sha256,
    )
