"""Reporting API, the reviewer's choices: a rejection's resubmission deadline chosen (checked,
recorded, published) or left to the calendar's rule; the work queue filtered server-side (a page
holds what the filters keep, the late ones first); the overview's late submissions and drafts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.api.conftest import ReportingService
from tests.api.test_reports import OCT_20, ORG, OTHER, URL, Q, admin, manager, published, reviewer, seed
from tests.consumers import outbox_events


def _under_control(s: ReportingService) -> None:
    seed(s)
    assert s.client.post(f"{URL}/submit", headers=manager(s)).status_code == 200
    assert s.client.post(f"{URL}/take", headers=reviewer(s)).status_code == 200


def _reject(s: ReportingService, due: str | None) -> Any:
    body: dict[str, Any] = {"reason": "Durées à revoir"}
    if due is not None:
        body["resubmission_due"] = due
    return s.client.post(f"{URL}/reject", headers=reviewer(s), json=body)


def test_the_reviewer_chooses_the_resubmission_deadline_and_the_organization_is_told(
    reporting: ReportingService,
) -> None:
    s = reporting
    _under_control(s)
    window = s.client.get(f"{URL}/resubmission-window", headers=reviewer(s)).json()
    # Tuesday, October 20: the default is 10 business days on; one may choose from the next day.
    assert window == {"default": "2026-11-03", "earliest": "2026-10-21", "latest": "2027-01-14"}
    rejected = _reject(s, "2026-11-20")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["rejection"]["resubmission_due"] == "2026-11-20"
    seen = s.client.get(URL, headers=manager(s)).json()  # the organization's own view
    assert (seen["state"], seen["resubmission_due"]) == ("rejected", "2026-11-20")
    [message] = published(s.kernel, "ReportRejected")
    assert message["resubmission_due"] == "2026-11-20"
    # The resubmission deadline is the one the reviewer chose, not the calendar's.
    s.clock.set(datetime(2026, 11, 10, 15, tzinfo=UTC))
    assert s.client.get(URL, headers=manager(s)).json()["late"] is False


def test_without_a_chosen_deadline_the_calendars_rule_applies(reporting: ReportingService) -> None:
    s = reporting
    _under_control(s)
    rejected = _reject(s, None)
    assert rejected.json()["rejection"]["resubmission_due"] == "2026-11-03"


def test_only_the_reports_reviewers_may_ask_for_the_window(reporting: ReportingService) -> None:
    s = reporting
    _under_control(s)
    assert s.client.get(f"{URL}/resubmission-window", headers=reviewer(s, OTHER)).status_code == 404
    assert s.client.get(f"{URL}/resubmission-window", headers=manager(s)).status_code == 403
    assert s.client.get(f"{URL}/resubmission-window", headers=admin(s)).status_code == 200


@pytest.mark.parametrize(
    ("due", "words"),
    [
        ("2026-10-20", ("postérieur à aujourd'hui", "after today")),  # today
        ("2026-10-19", ("postérieur à aujourd'hui", "after today")),
        ("2026-10-24", ("pas un jour ouvrable", "not a business day")),  # a Saturday
        ("2026-12-25", ("pas un jour ouvrable", "not a business day")),  # Christmas
        ("2027-01-15", ("au plus tard le 2027-01-14", "2027-01-14 at the latest")),
    ],
)
def test_a_bad_resubmission_deadline_is_refused_and_nothing_is_written(
    reporting: ReportingService, due: str, words: tuple[str, str]
) -> None:
    s = reporting
    _under_control(s)
    before = len(outbox_events(s.kernel))
    refused = _reject(s, due)
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["code"] == "report.invalid_resubmission_due"
    assert words[0] in body["message"]["fr"]
    assert words[1] in body["message"]["en"]
    assert body["details"]["field"] == "resubmission_due"
    assert (body["details"]["earliest"], body["details"]["latest"]) == ("2026-10-21", "2027-01-14")
    assert len(outbox_events(s.kernel)) == before
    assert s.client.get(URL, headers=reviewer(s)).json()["state"] == "under_control"


def test_a_deadline_that_is_no_date_is_refused_by_the_schema(reporting: ReportingService) -> None:
    s = reporting
    _under_control(s)
    refused = _reject(s, "le 20 novembre")
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_field"
    assert set(refused.json()["message"]) == {"fr", "en"}


# ---- the queue's filters, server-side -----------------------------------------------------------

ORGS = [f"org-q{n:02d}" for n in range(12)]


def _many_submitted(s: ReportingService) -> None:
    """Twelve organizations' Q2 reports submitted: the even ones serve region 16, the odd ones 05;
    the first one submitted late (after October 30), the others on October 5."""
    admin_headers = admin(s)
    for n, org in enumerate(ORGS):
        body = {"organization_id": org, "name": f"Organisme {n}", "regions": ["16" if n % 2 == 0 else "05"]}
        assert s.client.post("/organizations", headers=admin_headers, json=body).status_code == 201
    s.cover(*ORGS)
    for n, org in enumerate(reversed(ORGS)):
        late = n == len(ORGS) - 1  # ORGS[0], last and late
        s.clock.set(datetime(2026, 11, 2, 14, tzinfo=UTC) if late else datetime(2026, 10, 5, 14, tzinfo=UTC))
        s.declare(org, s.register_person(org))
        assert s.client.post(f"/reports/{org}/{Q}/submit", headers=manager(s, org)).status_code == 200
    s.clock.set(datetime(2026, 11, 3, 14, tzinfo=UTC))


def test_the_queue_is_filtered_before_it_is_paged_late_ones_first(reporting: ReportingService) -> None:
    s = reporting
    _many_submitted(s)
    taken = ORGS[3]
    assert s.client.post(f"/reports/{taken}/{Q}/take", headers=admin(s)).status_code == 200

    def queue(**params: Any) -> dict[str, Any]:
        answer = s.client.get("/reports/queue", headers=admin(s), params={"limit": 2, **params})
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    first = queue()
    assert first["total"] == 12
    assert first["items"][0]["organization_id"] == ORGS[0]  # submitted late: ahead of earlier deadlines
    assert first["items"][0]["late"] is True
    in_16 = queue(region="16", limit=50)
    assert sorted(e["organization_id"] for e in in_16["items"]) == ORGS[0::2]
    assert queue(region="16")["total"] == 6
    assert [e["organization_id"] for e in queue(state="under_control")["items"]] == [taken]
    assert queue(state="submitted")["total"] == 11
    assert [e["organization_id"] for e in queue(organization_id=ORGS[11])["items"]] == [ORGS[11]]
    assert queue(quarter="2026-2027-Q1")["total"] == 0
    assert queue(quarter=Q, region="05", offset=4)["items"][0]["organization_id"] in ORGS[1::2]
    # a reviewer's filters stay within the organizations assigned to them
    mine = s.client.get("/reports/queue", headers=reviewer(s, ORGS[1], ORGS[2]), params={"region": "05"})
    assert [e["organization_id"] for e in mine.json()["items"]] == [ORGS[1]]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"region": "5"}, "region"), ({"state": "draft"}, "state"), ({"quarter": "2026-Q2"}, "quarter")],
)
def test_a_bad_queue_filter_is_refused(
    reporting: ReportingService, params: dict[str, str], field: str
) -> None:
    answer = reporting.client.get("/reports/queue", headers=admin(reporting), params=params)
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "invalid_field"
    assert all(body["message"][lang] for lang in ("fr", "en"))
    assert [e["location"] for e in body["details"]["errors"]] == [["query", field]]


def test_the_overview_counts_late_submissions_and_late_drafts(reporting: ReportingService) -> None:
    s = reporting
    s.clock.set(OCT_20)
    s.cover(ORG, OTHER)
    s.declare(ORG, s.register_person(ORG))
    s.clock.set(datetime(2026, 11, 2, 14, tzinfo=UTC))  # after October 30: late
    assert s.client.post(f"{URL}/submit", headers=manager(s)).status_code == 200
    overview = s.client.get("/reports/overview", headers=admin(s), params={"fiscal_year": "2026-2027"}).json()
    q2 = next(o for o in overview if o["quarter"] == Q)
    # ORG submitted late; OTHER never opened its report, now past its deadline
    assert (q2["late"], q2["late_submissions"], q2["late_drafts"]) == (2, 1, 1)
