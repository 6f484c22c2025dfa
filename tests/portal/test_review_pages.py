"""The ministry's review pages in-process against the real services (processes, embedded
mode): the work queue with its filters and overview, the control page, and the ministry's steps
— take, reject with reasons per intervention, accept (an override reason while errors remain),
lock — with two reviewers deciding at once, and who may not see these pages.

The tests run in this file's order (one report goes through its whole control)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from portal.routes import review_submission
from scripts.launcher import ServiceProcesses
from tests.portal.interventions_support import assert_no_id_shown
from tests.portal.persons_support import csrf_of, text_of
from tests.portal.review_support import (
    MANAGER,
    NAMES,
    ORG,
    OTHER,
    PREVIOUS,
    QUARTER,
    REVIEWER,
    SECOND,
    UNASSIGNED,
    intervention_of,
    portal_as,
    resubmit,
    set_up,
    start,
)

pytestmark = [pytest.mark.portal, pytest.mark.usefixtures("prepared")]

CONTROL = f"/controle/{ORG}/{QUARTER}"
QUARTER_NAME = f"T{QUARTER.number} {QUARTER.start_year}-{QUARTER.start_year + 1}"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcesses]:
    system = start(tmp_path_factory.mktemp("portal-review"))
    try:
        yield system
    finally:
        system.stop()


@pytest.fixture(scope="module")
def prepared(system: ServiceProcesses) -> None:
    with httpx.Client(timeout=30) as http:
        set_up(http, system)


@pytest.fixture
def reviewer(system: ServiceProcesses) -> Iterator[TestClient]:
    with portal_as(system, REVIEWER) as client:
        yield client


def _post(client: TestClient, action: str, **data: str | list[str]) -> httpx.Response:
    page = client.get(CONTROL)
    answer: httpx.Response = client.post(
        f"{CONTROL}/{action}", data={"csrf_token": csrf_of(page.text), **data}
    )
    return answer


# --- who may see these pages -------------------------------------------------------------------


def test_an_organizations_user_is_refused_the_review_pages(system: ServiceProcesses) -> None:
    with portal_as(system, MANAGER) as client:
        assert client.get("/controle").status_code == 403
        assert client.get(CONTROL).status_code == 403
        assert "/controle" not in client.get("/").text  # no menu entry


def test_a_reviewer_not_assigned_to_the_organization_finds_no_report(system: ServiceProcesses) -> None:
    with portal_as(system, UNASSIGNED) as client:
        assert client.get(CONTROL).status_code == 404
        queue = text_of(client.get("/controle").text)
    assert "Intégration Estrie" not in queue.split("Vue d'ensemble")[0]


# --- the work queue ----------------------------------------------------------------------------


def test_the_queue_lists_the_submitted_report_with_its_age_and_review_due_date(reviewer: TestClient) -> None:
    page = reviewer.get("/controle")
    assert page.status_code == 200, page.text
    text = text_of(page.text)
    assert "Contrôle" in text  # the menu entry
    row = re.search(r"<tr>\s*<td><a href=\"" + re.escape(CONTROL) + r"\">.*?</tr>", page.text, re.S)
    assert row, page.text
    cells = text_of(row[0])
    assert QUARTER_NAME in cells
    assert "Intégration Estrie" in cells
    assert "Soumis" in cells
    assert re.search(r"\b0 jour\b", cells)  # submitted today
    assert "3 erreurs" in cells or "1 erreur" in cells


def test_the_queue_filters_by_region_organization_and_state(reviewer: TestClient) -> None:
    assert CONTROL in reviewer.get("/controle", params={"region": "05"}).text
    by_region = reviewer.get("/controle", params={"region": "06"})
    assert CONTROL not in by_region.text
    assert "Aucun rapport de la file ne correspond à ces filtres." in text_of(by_region.text)
    assert CONTROL not in reviewer.get("/controle", params={"organisme": OTHER}).text
    assert CONTROL in reviewer.get("/controle", params={"organisme": ORG, "trimestre": str(QUARTER)}).text
    assert CONTROL not in reviewer.get("/controle", params={"etat": "under_control"}).text


def test_the_overview_counts_reports_by_state_and_the_late_drafts(reviewer: TestClient) -> None:
    page = reviewer.get("/controle", params={"trimestre": str(QUARTER)})
    overview = page.text[page.text.index('id="overview"') :]
    row = re.search(r"<th scope=\"row\">" + re.escape(QUARTER_NAME) + r"</th>(.*?)</tr>", overview, re.S)
    assert row, overview
    cells = re.findall(r"<td>(.*?)</td>", row[1], re.S)
    assert text_of(cells[0]) == "2"  # the two organizations owe a report
    assert "Soumis 1" in text_of(cells[1])
    assert "Brouillon 1" in text_of(cells[1])
    if PREVIOUS.start_year == QUARTER.start_year:  # the previous quarter's drafts: past due
        before = f"T{PREVIOUS.number} {PREVIOUS.start_year}-{PREVIOUS.start_year + 1}"
        late = re.search(r"<th scope=\"row\">" + re.escape(before) + r"</th>(.*?)</tr>", overview, re.S)
        assert late is not None
        assert text_of(re.findall(r"<td>(.*?)</td>", late[1], re.S)[-1]) == "2"


# --- the control page --------------------------------------------------------------------------


def test_the_control_page_shows_the_frozen_submission_by_name_its_findings_and_integrity(
    reviewer: TestClient,
) -> None:
    page = reviewer.get(CONTROL)
    assert page.status_code == 200, page.text
    text = text_of(page.text)
    assert f"Contrôle — Intégration Estrie — {QUARTER_NAME}" in text
    for family, given, _code in NAMES.values():
        assert f"{given} {family}" in text or f"{family}, {given}" in text or given in text
    assert re.search(r"C5 — Plan d'action \(1\)", text)
    assert "Intact" in text
    assert re.search(r'<code class="hash">[0-9a-f]{64}</code>', page.text)
    assert "Prendre en contrôle" in text
    assert "Soumis" in text  # the history
    assert_no_id_shown(page.text)


def test_the_submission_filtered_by_check_keeps_the_flagged_intervention(reviewer: TestClient) -> None:
    text = text_of(reviewer.get(CONTROL, params={"controle": "C5"}).text)
    submission = text[text.index("La soumission telle que figée") :]
    assert NAMES["flagged"][1] in submission
    assert NAMES["clean"][1] not in submission


def test_the_submission_is_shown_a_page_at_a_time(
    reviewer: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A submission of 2,000 interventions is not drawn whole: the table shows a page of rows,
    reporting filtering and counting them (here one row a page)."""
    monkeypatch.setattr(review_submission, "ROWS", 1)

    def row_of(html: str) -> tuple[str, int]:
        table = html[html.index('id="submission"') :]
        (rows,) = re.findall(r"<tbody>(.*?)</tbody>", table, re.S)
        assert rows.count("<tr>") == 1
        where = re.search(r"Interventions (\d+) à \1 sur (\d+)", text_of(table))
        assert where
        return text_of(rows), int(where[2])

    first = reviewer.get(CONTROL)
    one, total = row_of(first.text)
    assert total >= 2
    following = re.search(r'href="([^"]*page=2)" rel="next"', first.text)
    assert following
    two, _ = row_of(reviewer.get(following[1].replace("&amp;", "&")).text)
    assert one != two
    # The findings still count and name the whole submission's, whatever the table's page.
    assert re.search(r"C5 — Plan d'action \(1\)", text_of(reviewer.get(CONTROL, params={"page": total}).text))


def test_take_then_reject_needs_a_reason_for_each_intervention_ticked(
    reviewer: TestClient, system: ServiceProcesses
) -> None:
    assert _post(reviewer, "prise").status_code == 303
    page = reviewer.get(CONTROL)
    assert "Vous avez pris le rapport en contrôle." in text_of(page.text)
    with httpx.Client(timeout=30) as http:
        flagged = intervention_of(http, system, "SUI")
    refused = _post(reviewer, "refus", reject=[flagged], reason="")
    assert refused.status_code == 422
    summary = refused.text[refused.text.index('class="error-summary"') :]
    errors = text_of(summary[: summary.index("</div>")])
    assert "Donnez le motif du refus" in errors
    assert "Donnez le motif pour cette intervention" in errors
    assert f'href="#reason-{flagged}"' in refused.text
    assert re.search(rf'id="reject-{flagged}"[^>]*checked', refused.text)  # what was ticked, kept


def test_accepting_with_errors_needs_an_override_reason_and_the_page_says_so(reviewer: TestClient) -> None:
    page = text_of(reviewer.get(CONTROL).text)
    assert "pour l'accepter quand même, donnez le motif" in page
    refused = _post(reviewer, "acceptation", override_reason="")
    assert refused.status_code == 409
    assert 'href="#override_reason"' in refused.text
    assert "erreur(s) bloquante(s)" in text_of(refused.text)


def test_reject_with_a_reason_per_intervention(reviewer: TestClient, system: ServiceProcesses) -> None:
    with httpx.Client(timeout=30) as http:
        flagged = intervention_of(http, system, "SUI")
    done = _post(
        reviewer,
        "refus",
        reject=[flagged],
        **{f"reason-{flagged}": "Suivi sans plan d'action actif"},
        reason="Un suivi à justifier",
    )
    assert done.status_code == 303, done.text
    text = text_of(reviewer.get(CONTROL).text)
    assert "Le rapport a été refusé avec 1 intervention à corriger." in text
    assert "Suivi sans plan d'action actif" in text
    assert "Refusé" in text
    assert "Échéance de resoumission" in text  # the calendar's date, in the summary
    assert "Resoumettez au plus tard le" in text


def test_two_reviewers_taking_the_resubmitted_report_at_once(
    reviewer: TestClient, system: ServiceProcesses
) -> None:
    with httpx.Client(timeout=30) as http:
        resubmit(http, system)
    assert f"{CONTROL}" in reviewer.get("/controle").text
    with portal_as(system, SECOND) as second:
        mine, theirs = reviewer.get(CONTROL), second.get(CONTROL)
        assert "(soumission 2)" in text_of(reviewer.get("/controle").text)
        first = reviewer.post(f"{CONTROL}/prise", data={"csrf_token": csrf_of(mine.text)})
        late = second.post(f"{CONTROL}/prise", data={"csrf_token": csrf_of(theirs.text)})
    assert first.status_code == 303
    assert late.status_code == 409
    assert 'class="error-summary"' in late.text
    assert "Quelqu'un d'autre a agi sur ce rapport" in text_of(late.text)
    assert "il est maintenant en contrôle" in text_of(late.text)


def test_accept_with_an_override_reason_then_lock(reviewer: TestClient) -> None:
    done = _post(reviewer, "acceptation", override_reason="Plan d'action confirmé par l'organisme")
    assert done.status_code == 303, done.text
    text = text_of(reviewer.get(CONTROL).text)
    assert "Le rapport a été accepté malgré ses erreurs" in text
    assert "Plan d'action confirmé par l'organisme" in text
    assert _post(reviewer, "verrouillage").status_code == 303
    text = text_of(reviewer.get(CONTROL).text)
    assert "Le trimestre est verrouillé" in text
    assert "Verrouillé" in text
    assert CONTROL not in reviewer.get("/controle").text  # out of the queue


def test_the_pages_in_english(system: ServiceProcesses) -> None:
    with portal_as(system, REVIEWER, language="en") as client:
        queue = text_of(client.get("/controle").text)
        control = text_of(client.get(CONTROL).text)
    assert "Review of the reports" in queue
    assert "Work queue" in queue
    assert f"Review — Intégration Estrie — Q{QUARTER.number}" in control
    assert "The submission as frozen" in control
