"""The quarterly report, the inbox and the lock-exception pages against the real services
(processes, embedded mode), in-process and in Chromium.

Submitting needs a quarter that has ended or whose early window is open, and interventions
cannot predate their persons' registration: the services here run on a business clock moved to
five days before the end of the current quarter (``GSI_CLOCK_OFFSET_DAYS``), with the calendar's
early submission window open 30 days before each quarter's end. The previous quarter, ended and
empty, is submitted, accepted and locked for the lock exceptions."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from gsi_kernel.clock import montreal_date
from gsi_kernel.fiscal import FiscalQuarter
from scripts.demo_plan import USERS
from scripts.launcher import ServiceProcesses
from tests.portal.interventions_support import assert_no_id_shown
from tests.portal.persons_support import (
    api_token,
    assign_reviewer,
    csrf_of,
    person_body,
    portal_as,
    register,
    text_of,
)
from tests.portal.support import PORT_SHIFT, assert_accessible, eventually, screenshot

pytestmark = pytest.mark.portal

ORG = "org-sherbrooke"
MANAGER, STAFF, REVIEWER, ADMIN = "sophie@org-sherbrooke", "karine@org-sherbrooke", "nadia@mifi", "admin@mifi"
BASE_PORT = 19340 + PORT_SHIFT  # apart from the other portal tests (18300, 18500) and benches
REAL_TODAY = montreal_date(datetime.now(UTC))
CURRENT = FiscalQuarter.of(REAL_TODAY)
TODAY = CURRENT.last_day - timedelta(days=5)  # the services' business day
OFFSET = (TODAY - REAL_TODAY).days
PREVIOUS = FiscalQuarter.of(CURRENT.first_day - timedelta(days=1))
NEXT = CURRENT.next()


def _fiscal_year(q: FiscalQuarter) -> str:
    return f"{q.start_year}-{q.start_year + 1}"


def _calendar(start_year: int) -> dict[str, Any]:
    ends = [
        date(start_year, 6, 30),
        date(start_year, 9, 30),
        date(start_year, 12, 31),
        date(start_year + 1, 3, 31),
    ]
    due = {f"q{n}": (end + timedelta(days=30)).isoformat() for n, end in enumerate(ends, 1)}
    return {
        "submission_due": due,
        "early_submission_days": 30,
        "control_window_days": 30,
        "resubmission_business_days": 10,
    }


def _ok(answer: httpx.Response) -> Any:
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else None


def _setup(http: httpx.Client, system: ServiceProcesses) -> dict[str, str]:
    """The organization, an agreement over the previous and the current fiscal years, the
    calendar; two persons and their interventions this quarter: one clean, one flagged (C5: a
    follow-up without an action plan). Returns the interventions' person names."""
    admin = api_token(http, system, ADMIN)
    reporting = system.url("reporting")
    contact = {
        "name": "Sophie Tremblay",
        "email": "sophie@integration-estrie.example",
        "role": "coordination",
    }
    org = {"organization_id": ORG, "name": "Intégration Estrie", "regions": ["05"], "contacts": [contact]}
    _ok(http.post(f"{reporting}/organizations", headers=admin, json=org))
    assign_reviewer(http, system, ORG, REVIEWER)
    agreement = {
        "organization_id": ORG,
        "starts_on": date(PREVIOUS.start_year, 4, 1).isoformat(),
        "ends_on": date(CURRENT.start_year + 2, 3, 31).isoformat(),
        "volets": ["V1", "V2", "V3"],
    }
    _ok(http.post(f"{reporting}/agreements", headers=admin, json=agreement))
    for start_year in sorted({PREVIOUS.start_year, CURRENT.start_year}):
        _ok(
            http.put(
                f"{reporting}/calendar/{start_year}-{start_year + 1}",
                headers=admin,
                json=_calendar(start_year),
            )
        )
    staff = api_token(http, system, STAFF)
    names = {"clean": "Farah", "flagged": "Omid"}
    for family, (given, code) in {
        "Karimi": (names["clean"], "ACC"),
        "Sadeghi": (names["flagged"], "SUI"),
    }.items():
        person_id = register(http, system, staff, person_body(family, given))
        body = {
            "person_id": person_id,
            "code": code,
            "service_date": TODAY.isoformat(),
            "duration_minutes": 60,
            "mode": "in_person",
            "volet": "V1",
            "staff_member": "karine",
        }
        eventually(
            lambda b=body: _declared(http, system, staff, b), what="interventions learns of the person"
        )
    report = f"{reporting}/reports/{ORG}/{CURRENT}"
    eventually(
        lambda: http.get(report, headers=staff).json().get("interventions_count") == 2,
        what="reporting counts the interventions",
    )
    return names


def _declared(
    http: httpx.Client, system: ServiceProcesses, headers: dict[str, str], body: dict[str, Any]
) -> bool:
    answer = http.post(f"{system.url('interventions')}/interventions", headers=headers, json=body)
    return answer.status_code == 201


def _lock_previous(http: httpx.Client, system: ServiceProcesses) -> None:
    """The previous quarter (ended, empty) submitted, accepted and locked; interventions knows."""
    manager, reviewer = api_token(http, system, MANAGER), api_token(http, system, REVIEWER)
    path = f"{system.url('reporting')}/reports/{ORG}/{PREVIOUS}"
    _ok(http.post(f"{path}/submit", headers=manager))
    _ok(http.post(f"{path}/take", headers=reviewer))
    _ok(http.post(f"{path}/accept", headers=reviewer, json={}))
    _ok(http.post(f"{path}/lock", headers=reviewer))


@pytest.fixture(scope="module")
def system(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch_module: pytest.MonkeyPatch
) -> Iterator[ServiceProcesses]:
    tmp = tmp_path_factory.mktemp("portal-reports")
    offset = {"GSI_CLOCK_OFFSET_DAYS": str(OFFSET)}
    env = {"GSI_DATA_DIR": str(tmp), "GSI_BUS": "embedded", **offset}
    system = ServiceProcesses(env=env, log_dir=tmp / "logs", base_port=BASE_PORT)
    # The in-process portal of these tests reads the same clock (its settings come from here).
    monkeypatch_module.setenv("GSI_PORTAL_CLOCK_OFFSET_DAYS", str(OFFSET))
    try:
        system.start(timeout_s=120)
        portal_env = {
            "GSI_PORTAL_AUTH_MODE": "development",
            "GSI_PORTAL_DEV_USERS": json.dumps(USERS),
            "GSI_PORTAL_CLOCK_OFFSET_DAYS": str(OFFSET),
        }
        system.start_portal(portal_env)
        with httpx.Client(timeout=30) as http:
            system.names = _setup(http, system)  # type: ignore[attr-defined]
            _lock_previous(http, system)
        yield system
    finally:
        system.stop()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture
def manager(system: ServiceProcesses) -> Iterator[TestClient]:
    with portal_as(system, MANAGER) as client:
        yield client


@pytest.fixture
def staff(system: ServiceProcesses) -> Iterator[TestClient]:
    with portal_as(system, STAFF) as client:
        yield client


def report_url(q: FiscalQuarter = CURRENT) -> str:
    return f"/rapports/{ORG}/{q}"


# --- reading ---------------------------------------------------------------------------------


def test_staff_read_the_report_with_its_deadline_and_no_actions(staff: TestClient) -> None:
    page = staff.get(report_url())
    assert page.status_code == 200, page.text
    text = text_of(page.text)
    assert f"Rapport trimestriel — T{CURRENT.number} {CURRENT.start_year}-{CURRENT.start_year + 1}" in text
    assert "Interventions 2" in text
    assert "Personnes servies 2" in text
    assert "Vérifier le rapport" not in text  # a manager's step
    assert (
        staff.post(f"{report_url()}/verification", data={"csrf_token": csrf_of(page.text)}).status_code == 403
    )


def test_a_drafts_deadline_and_the_days_left(staff: TestClient) -> None:
    text = text_of(staff.get(report_url(NEXT)).text)
    due = (NEXT.last_day + timedelta(days=30)) if NEXT.start_year == CURRENT.start_year else None
    assert "Brouillon" in text
    assert "Échéance" in text
    if due is not None:  # the calendar set here: 30 days after the quarter's end
        assert f"{(due - TODAY).days} jours restants" in text


def test_the_reports_list_names_each_quarter_and_its_state(staff: TestClient) -> None:
    page = staff.get("/rapports")
    assert page.status_code == 200, page.text
    text = text_of(page.text)
    assert f"T{PREVIOUS.number} {PREVIOUS.start_year}-{PREVIOUS.start_year + 1}" in text
    assert "Verrouillé" in text
    assert f'href="{report_url()}"' in page.text


def test_the_report_in_english(system: ServiceProcesses) -> None:
    with portal_as(system, MANAGER, language="en") as client:
        text = text_of(client.get(report_url(NEXT)).text)
    assert f"Quarterly report — Q{NEXT.number} {NEXT.start_year}-{NEXT.start_year + 1}" in text
    assert "Verify the report" in text
    assert "Timeline" in text


def test_another_organizations_report_and_a_wrong_quarter_are_not_found(manager: TestClient) -> None:
    assert manager.get(f"/rapports/org-montreal/{CURRENT}").status_code == 404
    assert manager.get(f"/rapports/{ORG}/2026-Q9").status_code == 404


# --- verifying and refused steps ---------------------------------------------------------------


def test_verify_lists_the_findings_by_check_each_naming_its_intervention(
    manager: TestClient, system: ServiceProcesses
) -> None:
    page = manager.get(report_url())
    answer = manager.post(f"{report_url()}/verification", data={"csrf_token": csrf_of(page.text)})
    assert answer.status_code == 200, answer.text
    text = text_of(answer.text)
    assert "C5 — Plan d'action" in text
    flagged = system.names["flagged"]  # type: ignore[attr-defined]
    assert re.search(rf"{flagged} Sadeghi — .+ — SUI", text), text
    assert re.search(r'href="/interventions/[0-9a-f-]{36}"', answer.text)
    assert_no_id_shown(answer.text)


def test_a_quarter_not_ended_is_refused_with_reportings_message_in_the_summary(manager: TestClient) -> None:
    form = manager.get(f"{report_url(NEXT)}/soumission")
    assert form.status_code == 200, form.text
    refused = manager.post(f"{report_url(NEXT)}/soumission", data={"csrf_token": csrf_of(form.text)})
    assert refused.status_code == 409
    assert 'class="error-summary"' in refused.text
    assert "Il y a un problème" in text_of(refused.text)
    assert re.search(r"ouvr|termin", text_of(refused.text)), text_of(refused.text)


def test_answering_without_a_rejection_is_refused_in_the_summary(manager: TestClient) -> None:
    page = manager.get(report_url(PREVIOUS))
    refused = manager.post(f"{report_url(PREVIOUS)}/reponses", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 409
    assert "Ce rapport n'a aucun refus auquel répondre." in text_of(refused.text)


# --- lock exceptions -----------------------------------------------------------------------------


def test_a_locked_quarters_page_leads_to_a_lock_exception_request(staff: TestClient) -> None:
    page = staff.get(report_url(PREVIOUS))
    assert "Trimestre verrouillé" in text_of(page.text)
    link = f"/exceptions-verrouillage/nouvelle?trimestre={PREVIOUS}"
    assert f'href="{link}"' in page.text
    form = staff.get(link)
    assert form.status_code == 200
    empty = staff.post(
        "/exceptions-verrouillage/nouvelle",
        data={"csrf_token": csrf_of(form.text), "trimestre": str(PREVIOUS), "reason": " a "},
    )
    assert empty.status_code == 422
    assert '<a href="#reason">' in empty.text
    assert 'aria-invalid="true"' in empty.text
    data = {"csrf_token": csrf_of(form.text), "trimestre": str(PREVIOUS), "reason": "Accueil saisi en retard"}
    # Interventions learns of the lock from reporting's events: until then, it refuses.
    sent = eventually(
        lambda: (
            answer
            if (answer := staff.post("/exceptions-verrouillage/nouvelle", data=data)).status_code == 303
            else None
        ),
        what="interventions knows the quarter is locked",
    )
    detail = staff.get(sent.headers["location"])
    text = text_of(detail.text)
    assert "Votre demande a été envoyée au ministère." in text
    assert "Demandée" in text
    listing = text_of(staff.get("/exceptions-verrouillage").text)
    assert "Accueil saisi en retard" in listing
    assert "Accueil saisi en retard" not in text_of(staff.get(report_url()).text)


def test_a_lock_exception_for_an_open_quarter_is_refused_beside_the_form(staff: TestClient) -> None:
    form = staff.get(f"/exceptions-verrouillage/nouvelle?trimestre={CURRENT}")
    assert form.status_code == 200
    assert re.search(r"Farah Karimi — .+ — ACC", text_of(form.text))
    refused = staff.post(
        "/exceptions-verrouillage/nouvelle",
        data={"csrf_token": csrf_of(form.text), "trimestre": str(CURRENT), "reason": "Une correction"},
    )
    assert refused.status_code == 422
    assert 'class="error-summary"' in refused.text
    assert "Une correction" in refused.text


def test_a_notice_is_read_in_full_links_to_its_page_and_marked_read(
    staff: TestClient, system: ServiceProcesses, http: httpx.Client
) -> None:
    """The ministry refuses a lock exception (through the API): its notice, in the inbox."""
    headers, reviewer = api_token(http, system, STAFF), api_token(http, system, REVIEWER)
    url = f"{system.url('interventions')}/lock-exceptions"
    body = {"quarter": str(PREVIOUS), "reason": "Une date à corriger", "intervention_ids": []}
    made = eventually(
        lambda: (
            answer.json()
            if (answer := http.post(url, headers=headers, json=body)).status_code == 201
            else None
        ),
        what="interventions knows the quarter is locked",
    )
    refusal = f"{url}/{made['id']}/refusal"
    eventually(  # once interventions has taken in the reviewer's assignment (ADR 23)
        lambda: http.post(refusal, headers=reviewer, json={"reason": "Hors délai"}).status_code < 300,
        what="the ministry refuses the lock exception",
    )
    inbox = f"{system.url('notifications')}/inbox"
    notice = eventually(
        lambda: next(
            (
                n
                for n in http.get(inbox, headers=headers).json()["items"]
                if n["link"] == f"/exceptions-verrouillage/{made['id']}"
            ),
            None,
        ),
        what="the notice of the refusal",
    )
    _settled_unread(http, f"{inbox}/unread-count", headers)
    listing = staff.get("/avis?non_lus=1")
    assert listing.status_code == 200
    assert notice["title_fr"] in text_of(listing.text)
    badge = re.search(r'<span class="badge"[^>]*>(\d+)</span>', listing.text)
    assert badge
    page = staff.get(f"/avis/{notice['notice_id']}")
    assert notice["content_fr"].split("\n")[0] in text_of(page.text)
    assert f'href="/exceptions-verrouillage/{made["id"]}"' in page.text
    read = staff.post(f"/avis/{notice['notice_id']}/lu", data={"csrf_token": csrf_of(page.text)})
    assert read.status_code == 303
    after = staff.get(read.headers["location"])
    assert "L'avis a été marqué comme lu." in text_of(after.text)
    badge_after = re.search(r'<span class="badge"[^>]*>(\d+)</span>', after.text)
    assert (int(badge_after[1]) if badge_after else 0) == int(badge[1]) - 1
    assert "Marquer comme lu" not in text_of(after.text)
    refused = text_of(staff.get(f"/exceptions-verrouillage/{made['id']}").text)
    assert "Refusée" in refused
    assert "Hors délai" in refused
    assert staff.get("/avis/pas%20un%20avis").status_code == 404


# --- the whole quarter in a browser --------------------------------------------------------------


def _shot(page: Page, name: str) -> None:
    """The page pictured (support.screenshot: saved with GSI_PORTAL_SCREENSHOTS=1)."""
    screenshot(page, name)


def _settled_unread(http: httpx.Client, url: str, headers: dict[str, str]) -> int:
    """The unread count once no notice has arrived for two seconds (they come from events)."""
    seen: list[int] = []

    def settled() -> int | None:
        seen.append(int(http.get(url, headers=headers).json()["unread"]))
        time.sleep(0.5)
        return seen[-1] if len(seen) >= 4 and len(set(seen[-4:])) == 1 else None

    return int(eventually(settled, what="the notices settle"))


def _unread_ids(http: httpx.Client, inbox: str, headers: dict[str, str]) -> set[str]:
    answer = http.get(inbox, headers=headers, params={"unread": "true", "limit": 200})
    assert answer.status_code == 200, answer.text
    return {notice["notice_id"] for notice in answer.json()["items"]}


def _sign_in(page: Page, system: ServiceProcesses, user_id: str) -> None:
    page.goto(f"{system.url('portal')}/signin")
    page.get_by_role("button", name=re.compile(user_id.split("@")[0], re.IGNORECASE)).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")


def test_a_manager_verifies_submits_reads_the_rejection_answers_and_resubmits(
    page: Page, system: ServiceProcesses, http: httpx.Client
) -> None:
    _sign_in(page, system, MANAGER)
    page.get_by_role("link", name="Rapports").click()
    assert_accessible(page)
    page.get_by_role("link", name="Rapport de ce trimestre").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rapport trimestriel")
    assert_accessible(page)
    page.get_by_role("button", name="Vérifier le rapport").click()
    expect(page.get_by_role("heading", level=2, name=re.compile("C5"))).to_be_visible()
    assert_accessible(page)
    _shot(page, "report-verification")
    page.get_by_role("link", name="Passer à la soumission").click()
    expect(page.get_by_text("Ce qui sera figé")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Confirmer et soumettre").click()
    expect(page.get_by_role("status")).to_contain_text("Le rapport a été soumis (soumission 1).")
    sha = page.locator(".notice code.hash").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", sha)
    expect(page.locator("#submissions")).to_contain_text("Intact")
    assert_accessible(page)

    # The ministry rejects it through the API, with a reason for the flagged intervention.
    reviewer = api_token(http, system, REVIEWER)
    path = f"{system.url('reporting')}/reports/{ORG}/{CURRENT}"
    staff = api_token(http, system, STAFF)
    flagged = [
        i["intervention_id"]
        for i in _ok(
            http.get(f"{system.url('interventions')}/interventions", headers=staff, params={"code": "SUI"})
        )["items"]
    ]
    _ok(http.post(f"{path}/take", headers=reviewer))
    reason = {"intervention_id": flagged[0], "reason": "Suivi sans plan d'action actif"}
    _ok(
        http.post(
            f"{path}/reject", headers=reviewer, json={"reason": "Un suivi à justifier", "items": [reason]}
        )
    )
    inbox = f"{system.url('notifications')}/inbox"
    manager_token = api_token(http, system, MANAGER)
    eventually(
        lambda: any(
            n["kind"] == "report_rejected" or "refus" in n["title_fr"].lower()
            for n in http.get(inbox, headers=manager_token).json()["items"]
        ),
        what="the rejection notice",
    )

    _settled_unread(http, f"{inbox}/unread-count", manager_token)  # earlier tests' notices too
    unread_before = _unread_ids(http, inbox, manager_token)
    page.goto(f"{system.url('portal')}/")
    expect(page.locator(".site-header__inbox .badge")).to_be_visible()
    page.locator(".site-header__inbox").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Avis")
    assert_accessible(page)
    # Counted on the inbox, which asks for the count afresh (other pages' badge may be a few
    # seconds old, by design: a notice read meanwhile made "before" one too high).
    before = int(page.locator(".site-header__inbox .badge").inner_text())
    page.get_by_role("link", name=re.compile("refus", re.IGNORECASE)).first.click()
    expect(page.locator(".notice-content")).to_contain_text("Suivi sans plan d'action actif")
    assert_accessible(page)
    _shot(page, "inbox-notice")
    page.get_by_role("button", name="Marquer comme lu").click()
    expect(page.get_by_role("status")).to_contain_text("L'avis a été marqué comme lu.")
    # One fewer unread — plus any notice of the earlier steps' events that arrived meanwhile
    # (on a loaded machine one can come after the two quiet seconds above).
    arrived = len(_unread_ids(http, inbox, manager_token) - unread_before)
    after = page.locator(".site-header__inbox .badge")
    shown = int(after.inner_text()) if after.count() else 0
    assert before - 1 <= shown <= before - 1 + arrived, (before, shown, arrived)
    page.get_by_role("link", name="Ouvrir la page concernée").click()
    expect(page.locator("#rejection")).to_contain_text("Suivi sans plan d'action actif")
    assert_accessible(page)
    _shot(page, "report-rejected")
    page.get_by_label("Réponse pour cette intervention").fill("Plan d'action ouvert le jour même")
    page.get_by_role("button", name="Enregistrer les réponses").click()
    expect(page.get_by_role("status")).to_contain_text("1 réponse a été enregistrée.")
    assert_accessible(page)
    page.get_by_role("link", name="Soumettre le rapport de nouveau").click()
    page.get_by_role("button", name="Confirmer et soumettre").click()
    expect(page.get_by_role("status")).to_contain_text("Le rapport a été soumis (soumission 2).")
    expect(page.locator("#submissions tbody tr")).to_have_count(2)
    assert_accessible(page)
    _shot(page, "report-resubmitted")


def test_a_step_out_of_turn_is_refused_in_the_summary(manager: TestClient) -> None:
    form = manager.get(f"{report_url(PREVIOUS)}/soumission")
    refused = manager.post(f"{report_url(PREVIOUS)}/soumission", data={"csrf_token": csrf_of(form.text)})
    assert refused.status_code == 409
    assert 'class="error-summary"' in refused.text
    assert '<a href="#submit">' in refused.text


def test_a_double_clicked_submit_shows_the_report_submitted(manager: TestClient) -> None:
    """(After the browser journey, in this file's order: the report is submitted already; run
    alone, the first click submits it.) The second click is not an error."""
    form = manager.get(f"{report_url()}/soumission")
    data = {"csrf_token": csrf_of(form.text)}
    first, second = (manager.post(f"{report_url()}/soumission", data=data) for _ in range(2))
    assert first.status_code == 303
    assert second.status_code == 303
    page = text_of(manager.get(second.headers["location"]).text)
    assert "Le rapport a été soumis" in page
    assert "Soumis" in page
