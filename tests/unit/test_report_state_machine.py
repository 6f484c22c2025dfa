"""The report aggregate's state machine: every action in every state, allowed (with the state it
leads to) or refused (409 ``report.invalid_transition`` naming the current state); and the rules
of each decision."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from gsi_kernel.errors import Conflict, GsiError, InvalidInput
from gsi_kernel.events import DomainEvent
from gsi_kernel.fiscal import FiscalQuarter
from reporting.reports import domain as report
from reporting.reports import snapshot
from reporting.reports.domain import Action, Deadlines, QuarterFacts, ReportState, Verification
from reporting.reports.events import (
    CheckSummary,
    FindingRecord,
    ItemAnswer,
    RejectedItem,
    ReportAccepted,
    ReportRejected,
    ReportSubmitted,
)

ORG = "org-sherbrooke"
Q = FiscalQuarter.parse("2026-2027-Q1")
DEADLINES = Deadlines(
    today=date(2026, 7, 24), submission_due=date(2026, 7, 30), control_due=date(2026, 8, 23)
)
FACTS = QuarterFacts(Q, today=date(2026, 7, 24), covered=True)  # Q1 ended June 30, an agreement covers it


def finding(intervention_id: str, severity: str = "error", code: str = "C5.no_active_plan") -> FindingRecord:
    return FindingRecord(
        intervention_id=intervention_id, check=code[:2], severity=severity, code=code, fr="fr", en="en"
    )


def verification(*findings: FindingRecord, items: tuple[str, ...] = ("i-1", "i-2", "i-3")) -> Verification:
    errors = sum(1 for f in findings if f.severity == "error")
    frozen = snapshot.freeze(
        ORG, str(Q), [(i, 1) for i in items], catalogue_versions=["1"], rule_set_versions=["1"]
    )
    return Verification(
        organization_id=ORG,
        quarter=Q,
        interventions_count=len(items),
        persons_count=2,
        summary=CheckSummary(
            errors=errors, warnings=len(findings) - errors, by_check={}, blocking=errors > 0
        ),
        findings=tuple(findings),
        snapshot=frozen,
        sha256=snapshot.sha256(frozen),
    )


def rejection(*items: str) -> report.Rejection:
    return report.Rejection(
        ORG,
        Q,
        "Corrigez",
        tuple(RejectedItem(intervention_id=i, reason="r") for i in items),
        date(2026, 8, 7),
    )


def act(history: list[DomainEvent], action: Action) -> list[DomainEvent]:
    """``action`` with valid arguments."""
    doers: dict[Action, Any] = {
        Action.VERIFY: lambda h: report.verify(h, verification(), FACTS),
        Action.SUBMIT: lambda h: report.submit(h, verification(), DEADLINES, FACTS),
        Action.TAKE: lambda h: report.take(h, ORG, Q),
        Action.ACCEPT: lambda h: report.accept(h, ORG, Q, None, FACTS),
        Action.REJECT: lambda h: report.reject(h, rejection("i-1")),
        Action.ANSWER: lambda h: report.answer(h, ORG, Q, [ItemAnswer(intervention_id="i-1", answer="ok")]),
        Action.LOCK: lambda h: report.lock(h, ORG, Q, FACTS),
        Action.UNLOCK: lambda h: report.unlock(h, ORG, Q, "Audit"),
    }
    return list(doers[action](history))


PATHS: dict[ReportState, list[Action]] = {
    ReportState.DRAFT: [],
    ReportState.SUBMITTED: [Action.SUBMIT],
    ReportState.UNDER_CONTROL: [Action.SUBMIT, Action.TAKE],
    ReportState.ACCEPTED: [Action.SUBMIT, Action.TAKE, Action.ACCEPT],
    ReportState.REJECTED: [Action.SUBMIT, Action.TAKE, Action.REJECT],
    ReportState.LOCKED: [Action.SUBMIT, Action.TAKE, Action.ACCEPT, Action.LOCK],
}


def history_in(state: ReportState) -> list[DomainEvent]:
    history: list[DomainEvent] = []
    for action in PATHS[state]:
        history += act(history, action)
    assert report.fold(history).state is state
    return history


S, A = ReportState, Action
ALLOWED: dict[tuple[ReportState, Action], ReportState] = {
    (S.DRAFT, A.VERIFY): S.DRAFT,
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, A.TAKE): S.UNDER_CONTROL,
    (S.UNDER_CONTROL, A.ACCEPT): S.ACCEPTED,
    (S.UNDER_CONTROL, A.REJECT): S.REJECTED,
    (S.REJECTED, A.VERIFY): S.REJECTED,
    (S.REJECTED, A.ANSWER): S.REJECTED,
    (S.REJECTED, A.SUBMIT): S.SUBMITTED,
    (S.ACCEPTED, A.LOCK): S.LOCKED,
    (S.LOCKED, A.UNLOCK): S.ACCEPTED,
}
EVERY_PAIR = [(state, action) for state in ReportState for action in Action]


@pytest.mark.parametrize(("state", "action"), [p for p in EVERY_PAIR if p in ALLOWED])
def test_an_allowed_transition_records_one_event_and_leads_to_its_state(
    state: ReportState, action: Action
) -> None:
    history = history_in(state)
    events = act(history, action)
    assert len(events) == 1
    assert report.fold(history + events).state is ALLOWED[(state, action)]


@pytest.mark.parametrize(("state", "action"), [p for p in EVERY_PAIR if p not in ALLOWED])
def test_a_refused_transition_is_a_conflict_naming_the_current_state(
    state: ReportState, action: Action
) -> None:
    with pytest.raises(Conflict) as refused:
        act(history_in(state), action)
    assert refused.value.code == "report.invalid_transition"
    assert refused.value.details == {"current_state": str(state), "requested": str(action)}
    assert refused.value.fr
    assert refused.value.en


def test_a_submission_freezes_the_snapshot_the_findings_and_the_deadlines() -> None:
    [event] = report.submit([], verification(finding("i-2")), DEADLINES, FACTS)
    assert isinstance(event, ReportSubmitted)
    assert event.submission_version == 1
    assert event.report_id == "report-org-sherbrooke-2026-2027-Q1"
    assert event.snapshot.interventions == (("i-1", 1), ("i-2", 1), ("i-3", 1))
    assert event.sha256 == snapshot.sha256(event.snapshot)
    assert [f.intervention_id for f in event.findings] == ["i-2"]
    assert (event.submitted_on, event.submission_due, event.control_due) == (
        date(2026, 7, 24), date(2026, 7, 30), date(2026, 8, 23),
    )  # fmt: skip
    assert not event.late


def test_a_submission_after_the_deadline_is_recorded_late() -> None:
    late = Deadlines(today=date(2026, 8, 2), submission_due=date(2026, 7, 30), control_due=date(2026, 9, 1))
    [event] = report.submit([], verification(), late, FACTS)
    assert isinstance(event, ReportSubmitted)
    assert event.late


def test_findings_beyond_the_cap_are_counted_but_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report, "MAX_FINDINGS_KEPT", 2)
    [event] = report.submit(
        [], verification(finding("i-1"), finding("i-2"), finding("i-3")), DEADLINES, FACTS
    )
    assert isinstance(event, ReportSubmitted)
    assert len(event.findings) == 2
    assert event.findings_truncated
    assert event.summary.errors == 3


def _under_control(*findings: FindingRecord) -> list[DomainEvent]:
    history = report.submit([], verification(*findings), DEADLINES, FACTS)
    return [*history, *report.take(history, ORG, Q)]


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_blocking_errors_refuse_acceptance_without_an_override_reason(reason: str | None) -> None:
    with pytest.raises(Conflict) as refused:
        report.accept(
            _under_control(finding("i-1"), finding("i-2", "warning", "C8.volume")), ORG, Q, reason, FACTS
        )
    assert refused.value.code == "report.blocking_errors"
    assert refused.value.details == {"errors": 1}


def test_an_override_reason_accepts_despite_errors_and_is_recorded() -> None:
    [event] = report.accept(_under_control(finding("i-1")), ORG, Q, "Statut confirmé par IRCC", FACTS)
    assert isinstance(event, ReportAccepted)
    assert (event.blocking_errors, event.override_reason) == (1, "Statut confirmé par IRCC")


def test_warnings_alone_do_not_block_acceptance() -> None:
    [event] = report.accept(_under_control(finding("i-1", "warning", "C8.volume")), ORG, Q, None, FACTS)
    assert isinstance(event, ReportAccepted)


@pytest.mark.parametrize(
    ("items", "code", "ids"),
    [
        (("i-9",), "report.item_not_submitted", ["i-9"]),
        (("i-1", "i-1"), "report.duplicate_item", ["i-1"]),
    ],
)
def test_a_rejection_names_submitted_interventions_once_each(
    items: tuple[str, ...], code: str, ids: list[str]
) -> None:
    with pytest.raises(InvalidInput) as refused:
        report.reject(_under_control(), rejection(*items))
    assert refused.value.code == code
    assert refused.value.details == {"intervention_ids": ids}


def test_a_rejection_carries_its_reasons_the_failed_checks_and_its_deadline() -> None:
    history = _under_control(finding("i-1"), finding("i-2"), finding("i-2", "warning", "C8.volume"))
    [event] = report.reject(history, rejection("i-1", "i-2"))
    assert isinstance(event, ReportRejected)
    assert event.rejection_number == 1
    assert [i.intervention_id for i in event.items] == ["i-1", "i-2"]
    assert [(c.code, c.count) for c in event.failed_checks] == [("C5.no_active_plan", 2), ("C8.volume", 1)]
    assert event.resubmission_due == date(2026, 8, 7)


def test_answers_name_only_the_rejected_interventions() -> None:
    history = _under_control()
    history += report.reject(history, rejection("i-1"))
    with pytest.raises(InvalidInput) as refused:
        report.answer(history, ORG, Q, [ItemAnswer(intervention_id="i-2", answer="?")])
    assert refused.value.code == "report.item_not_rejected"


def test_a_resubmission_is_a_new_version_due_by_the_rejection_deadline() -> None:
    history = _under_control()
    history += report.reject(history, rejection("i-1"))  # resubmit by 2026-08-07
    after = Deadlines(today=date(2026, 8, 10), submission_due=date(2026, 7, 30), control_due=date(2026, 9, 9))
    [event] = report.submit(history, verification(), after, FACTS)
    assert isinstance(event, ReportSubmitted)
    assert (event.submission_version, event.submission_due, event.late) == (2, date(2026, 8, 7), True)
    history += [event, *report.take([*history, event], ORG, Q)]
    [second] = report.reject(history, rejection("i-2"))
    assert isinstance(second, ReportRejected)
    assert (second.rejection_number, second.submission_version) == (2, 2)


def test_an_unlocked_report_is_accepted_again_and_may_be_locked_again() -> None:
    history = history_in(ReportState.LOCKED)
    history += report.unlock(history, ORG, Q, "Correction d'audit")
    state = report.fold(history)
    assert (state.state, state.reopened) == (ReportState.ACCEPTED, True)
    assert report.fold(history + report.lock(history, ORG, Q, FACTS)).state is ReportState.LOCKED


def test_every_error_of_the_module_is_a_gsi_error_with_both_languages() -> None:
    with pytest.raises(GsiError) as refused:
        act([], Action.LOCK)
    assert "draft" in refused.value.fr
    assert "draft" in refused.value.en
