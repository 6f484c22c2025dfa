"""Reporting API, issue 17: a report is owed for every quarter an agreement covers and may be
submitted only once its quarter has ended (or within the calendar's early window), accepted and
locked only once it has ended; and a report owed past its deadline is late — in the report, the
list, the overview and the queue alike."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests.api.conftest import NotificationsService, ReportingService
from tests.api.test_notifications import notices
from tests.api.test_reports import ORG, OTHER, admin, manager, reviewer, written
from tests.consumers import deliver, outbox_events

NOV_20 = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # 2026-2027-Q3 open; Q1 and Q2 past their deadlines
Q1, Q2, Q3 = "2026-2027-Q1", "2026-2027-Q2", "2026-2027-Q3"


def on(s: ReportingService, day: date) -> None:
    s.clock.set(datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC))


def step(s: ReportingService, org: str, quarter: str, action: str, body: Any = None) -> Any:
    who = manager(s, org) if action == "submit" else reviewer(s, ORG, OTHER)
    response = s.client.post(f"/reports/{org}/{quarter}/{action}", headers=who, json=body or {})
    assert response.status_code == 200, response.text
    return response.json()


def refused(s: ReportingService, org: str, quarter: str, action: str) -> dict[str, Any]:
    """``action`` is refused with a 409 and writes nothing; the refusal's body."""
    who = manager(s, org) if action == "submit" else reviewer(s, ORG, OTHER)
    before = written(s.kernel)
    response = s.client.post(f"/reports/{org}/{quarter}/{action}", headers=who, json={})
    assert response.status_code == 409, response.text
    assert written(s.kernel) == before
    body: dict[str, Any] = response.json()
    assert body["message"]["fr"]
    assert body["message"]["en"]
    return body


def test_a_quarter_no_agreement_covers_cannot_be_submitted(reporting: ReportingService) -> None:
    s = reporting
    s.clock.set(NOV_20)
    s.declare(ORG, s.register_person(ORG))  # Q2, ended
    body = refused(s, ORG, Q2, "submit")
    assert body["code"] == "report.not_covered"
    assert Q2 in body["message"]["fr"]
    assert Q2 in body["message"]["en"]
    assert (
        s.client.post(f"/reports/{ORG}/{Q2}/verify", headers=manager(s)).status_code == 200
    )  # checks stay open
    s.cover(ORG, starts_on=date(2026, 10, 1))  # from Q3 on: Q2 still owes nothing
    assert refused(s, ORG, Q2, "submit")["code"] == "report.not_covered"
    view = s.client.get(f"/reports/{ORG}/{Q2}", headers=manager(s)).json()
    assert (view["covered"], view["late"]) == (False, False)
    assert s.client.get("/reports", headers=manager(s), params={"quarter": Q2}).json()["total"] == 0


@pytest.mark.parametrize(("quarter", "opens_on"), [(Q3, "2027-01-01"), ("2040-2041-Q1", "2040-07-01")])
def test_a_quarter_that_has_not_ended_cannot_be_submitted_and_says_when_it_opens(
    reporting: ReportingService, quarter: str, opens_on: str
) -> None:
    s = reporting
    s.clock.set(NOV_20)
    s.cover(ORG, ends_on=date(2041, 3, 31))
    s.declare(ORG, s.register_person(ORG), service_date=date(2026, 11, 2))
    body = refused(s, ORG, quarter, "submit")
    assert body["code"] == "report.quarter_not_ended"
    assert (body["details"]["quarter"], body["details"]["opens_on"]) == (quarter, opens_on)
    for language in ("fr", "en"):
        assert quarter in body["message"][language]
        assert opens_on in body["message"][language]
    assert (
        s.client.get(f"/reports/{ORG}/{quarter}", headers=manager(s)).json()["submission_opens_on"]
        == opens_on
    )
    verified = s.client.post(f"/reports/{ORG}/{Q3}/verify", headers=manager(s))  # checking as it goes
    assert (verified.status_code, verified.json()["interventions_count"]) == (200, 1)
    assert s.client.get("/reports/queue", headers=reviewer(s)).json()["total"] == 0


def test_an_early_window_opens_submission_but_not_acceptance_nor_lock_before_the_end(
    reporting: ReportingService,
) -> None:
    s = reporting
    s.clock.set(NOV_20)
    s.cover(ORG)
    calendar = {
        "submission_due": {"q1": "2026-07-30", "q2": "2026-10-30", "q3": "2027-01-30", "q4": "2027-04-30"},
        "early_submission_days": {"q3": 10},
        "control_window_days": 30,
        "resubmission_business_days": 10,
    }
    answer = s.client.put("/calendar/2026-2027", headers=admin(s), json=calendar)
    assert answer.status_code == 200, answer.text
    q3 = answer.json()["quarters"][2]
    assert (q3["early_submission_days"], q3["submission_opens_on"]) == (10, "2026-12-22")
    assert [q["early_submission_days"] for q in answer.json()["quarters"]] == [0, 0, 10, 0]

    on(s, date(2026, 12, 21))
    assert refused(s, ORG, Q3, "submit")["details"]["opens_on"] == "2026-12-22"
    on(s, date(2026, 12, 22))
    assert step(s, ORG, Q3, "submit")["state"] == "submitted"
    step(s, ORG, Q3, "take")
    on(s, date(2026, 12, 31))
    body = refused(s, ORG, Q3, "accept")
    assert (body["code"], body["details"]["opens_on"]) == ("report.quarter_not_ended", "2027-01-01")
    on(s, date(2027, 1, 1))
    assert step(s, ORG, Q3, "accept")["state"] == "accepted"
    on(s, date(2026, 12, 31))  # a clock moved back: the lock is refused as well
    assert refused(s, ORG, Q3, "lock")["code"] == "report.quarter_not_ended"
    on(s, date(2027, 1, 4))
    assert step(s, ORG, Q3, "lock")["state"] == "locked"


@pytest.mark.parametrize("early", [{"q3": 31}, 31, -1, {"q5": 3}])
def test_a_bad_early_window_is_refused(reporting: ReportingService, early: Any) -> None:
    s = reporting
    calendar = {
        "submission_due": {"q1": "2026-07-30", "q2": "2026-10-30", "q3": "2027-01-30", "q4": "2027-04-30"},
        "early_submission_days": early,
        "control_window_days": 30,
        "resubmission_business_days": 10,
    }
    before = written(s.kernel)
    answer = s.client.put("/calendar/2026-2027", headers=admin(s), json=calendar)
    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_field"), answer.text
    assert "early_submission_days" in answer.text
    assert written(s.kernel) == before


def test_every_covered_quarter_has_a_report_and_a_missed_deadline_makes_it_late_everywhere(
    reporting: ReportingService,
) -> None:
    """On November 20: Q1 (due July 30) and Q2 (due October 30) passed their deadlines. Montréal
    never opened either; Sherbrooke submitted Q1 late, had it rejected with a resubmission
    deadline now past, and submitted Q2 late too; Q3 is open."""
    s = reporting
    s.cover(ORG, OTHER)
    on(s, date(2026, 10, 20))
    s.declare(ORG, s.register_person(ORG), service_date=date(2026, 5, 12))
    step(s, ORG, Q1, "submit")
    step(s, ORG, Q1, "take")
    rejected = step(s, ORG, Q1, "reject", {"reason": "À revoir", "items": []})
    assert (rejected["resubmission_due"], rejected["late"]) == ("2026-11-03", False)
    on(s, date(2026, 11, 2))
    s.declare(ORG, s.register_person(ORG))
    submitted = step(s, ORG, Q2, "submit")
    assert submitted["late"] is True
    s.clock.set(NOV_20)

    def view(org: str, quarter: str) -> dict[str, Any]:
        return dict(s.client.get(f"/reports/{org}/{quarter}", headers=admin(s)).json())

    untouched = view(OTHER, Q1)
    assert (untouched["state"], untouched["covered"], untouched["late"]) == ("draft", True, True)
    assert untouched["submission_due"] == "2026-07-30"
    assert (view(OTHER, Q2)["late"], view(OTHER, Q3)["late"]) == (True, False)
    assert (view(ORG, Q1)["state"], view(ORG, Q1)["late"]) == ("rejected", True)  # past November 3
    assert view(ORG, Q2)["late"] is True

    listed = s.client.get("/reports", headers=admin(s), params={"quarter": Q1}).json()
    assert {(r["organization_id"], r["state"], r["late"]) for r in listed["items"]} == {
        (ORG, "rejected", True), (OTHER, "draft", True),
    }  # fmt: skip
    # Montréal's agreement covers twelve quarters; three have begun, none was opened.
    drafts = s.client.get("/reports", headers=reviewer(s, OTHER), params={"state": "draft"}).json()
    assert [(r["quarter"], r["late"]) for r in drafts["items"]] == [(Q3, False), (Q2, True), (Q1, True)]
    assert drafts["items"][-1]["submission_due"] == "2026-07-30"
    drafts = s.client.get("/reports", headers=reviewer(s, ORG), params={"state": "draft"}).json()
    assert [r["quarter"] for r in drafts["items"]] == [Q3]  # its Q1 is rejected, its Q2 submitted

    overview = s.client.get("/reports/overview", headers=admin(s), params={"fiscal_year": "2026-2027"}).json()
    assert [(o["quarter"], o["reports"], o["late"], o["states"]) for o in overview] == [
        (Q1, 2, 2, {"rejected": 1, "draft": 1}),
        (Q2, 2, 2, {"submitted": 1, "draft": 1}),
        (Q3, 2, 0, {"draft": 2}),
        ("2026-2027-Q4", 0, 0, {}),  # not begun: owed nothing so far
    ]
    mine = s.client.get("/reports/overview", headers=manager(s, OTHER), params={"fiscal_year": "2026-2027"})
    assert [(o["reports"], o["late"]) for o in mine.json()] == [(1, 1), (1, 1), (1, 0), (0, 0)]

    [queued] = s.client.get("/reports/queue", headers=reviewer(s, ORG, OTHER)).json()["items"]
    assert (queued["quarter"], queued["late"]) == (Q2, True)
    [row] = s.client.get("/reports", headers=admin(s), params={"state": "submitted"}).json()["items"]
    assert (row["quarter"], row["late"]) == (Q2, True)


def test_an_organization_that_never_opened_its_report_is_late_and_reminded(
    reporting: ReportingService, notifications: NotificationsService
) -> None:
    """Montréal's agreement covers Q1; nobody ever opens its report. The day after the deadline
    reporting shows its draft late, and notifications — which learns the organization and the
    agreement from reporting's events, nothing of the report — sends the missed deadline, then
    the D+7 escalation, to the organization and to the ministry."""
    s = reporting
    on(s, date(2026, 6, 1))
    s.cover(OTHER)
    for event in outbox_events(s.kernel):
        deliver(notifications.kernel, event)

    def day(when: date) -> tuple[bool, list[str]]:
        on(s, when)
        notifications.clock.set(s.clock.now())
        notifications.tick()
        view = s.client.get(f"/reports/{OTHER}/{Q1}", headers=manager(s, OTHER)).json()
        assert view["state"] == "draft"
        keys = [n["dedupe_key"].removeprefix(f"{OTHER}:{Q1}:") for n in notices(notifications)]
        return view["late"], [k for k in keys if "deadline_reminder" not in k]

    assert day(date(2026, 7, 30)) == (False, [])  # the deadline itself
    missed = ["deadline_missed:organization", "deadline_missed:ministry"]
    assert day(date(2026, 7, 31)) == (True, missed)
    escalated = ["deadline_escalation:D+7:organization", "deadline_escalation:D+7:ministry"]
    assert day(date(2026, 8, 6)) == (True, missed + escalated)
