"""The report pages' pure parts: the deadline still ahead, findings grouped by check, the
answers to a rejection as typed."""

from __future__ import annotations

from datetime import date

from portal.routes.reports_common import deadline, findings_by_check, read_answers

TODAY = date(2026, 11, 20)


def test_a_draft_counts_down_to_its_deadline_a_rejection_to_its_resubmission() -> None:
    draft = {"state": "draft", "submission_due": "2026-11-25", "resubmission_due": None}
    assert deadline(draft, TODAY) is not None
    assert deadline(draft, TODAY).days_left == 5  # type: ignore[union-attr]
    rejected = {"state": "rejected", "submission_due": "2026-10-30", "resubmission_due": "2026-11-18"}
    late = deadline(rejected, TODAY)
    assert late is not None
    assert late.resubmission
    assert late.days_left == -2
    assert deadline({"state": "submitted", "submission_due": "2026-11-25"}, TODAY) is None


def test_findings_come_by_check_errors_first() -> None:
    findings = [
        {"check": "C8", "severity": "warning", "intervention_id": "a"},
        {"check": "C5", "severity": "warning", "intervention_id": "b"},
        {"check": "C5", "severity": "error", "intervention_id": "c"},
    ]
    groups = findings_by_check(findings)
    assert [check for check, _ in groups] == ["C5", "C8"]
    assert [f["intervention_id"] for f in groups[0][1]] == ["c", "b"]


def test_answers_are_cleaned_checked_and_one_at_least_is_asked_for() -> None:
    items = [{"intervention_id": "i1"}, {"intervention_id": "i2"}]
    answers, errors = read_answers({"answer-i1": "  Plan ouvert  ", "answer-i2": ""}, items, "fr")
    assert answers == {"i1": "Plan ouvert", "i2": ""}
    assert errors == {}
    _, none = read_answers({}, items, "fr")
    assert none == {"i1": "Répondez à au moins un des motifs"}
    _, long = read_answers({"answer-i2": "x" * 2001}, items, "en")
    assert long == {"i2": "An answer has 2000 characters at most"}
    _, control = read_answers({"answer-i1": "bad\x00"}, items, "fr")
    assert "position 4" in control["i1"]
