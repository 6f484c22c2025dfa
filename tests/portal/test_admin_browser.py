"""The administration pages in Chromium, in French and in English: an administrator registers an
organization, assigns it a reviewer, records its agreement with targets per quarter and amends
it, sets a fiscal year's calendar and unlocks a locked quarter with a reason; a reviewer's
session opening an administration page is refused. axe on every page visited; the French pages
pictured into docs/portal/ (``GSI_PORTAL_SCREENSHOTS=1``)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect

from gsi_kernel.clock import montreal_date
from gsi_kernel.fiscal import FiscalQuarter
from scripts.launcher import ServiceProcesses
from tests.portal.support import assert_accessible, screenshot
from tests.portal.test_admin_pages import ADMIN, REVIEWER, _locked_quarter

pytestmark = pytest.mark.portal

WORDS = {
    "fr": {
        "admin": "Administration",
        "organizations": "Organismes",
        "register": "Inscrire un organisme",
        "register_button": "Inscrire l'organisme",
        "problem": "Il y a un problème",
        "registered": "L'organisme a été inscrit.",
        "assign": "Assigner",
        "assigned": "a été assigné(e)",
        "record": "Enregistrer une convention",
        "record_button": "Enregistrer la convention",
        "recorded": "La convention a été enregistrée.",
        "amend_button": "Enregistrer la modification",
        "amended": "La convention a été modifiée (version 2).",
        "save_calendar": "Enregistrer le calendrier",
        "calendar_saved": "Le calendrier a été enregistré.",
        "locked": "Trimestres verrouillés",
        "unlock": "Déverrouiller",
        "unlock_button": "Déverrouiller le trimestre",
        "unlocked": "Le trimestre a été déverrouillé",
        "refused": "Accès refusé",
        "year": "2041-2042",
    },
    "en": {
        "admin": "Administration",
        "organizations": "Organizations",
        "register": "Register an organization",
        "register_button": "Register the organization",
        "problem": "There is a problem",
        "registered": "The organization was registered.",
        "assign": "Assign the reviewer",
        "assigned": "was assigned",
        "record": "Record an agreement",
        "record_button": "Record the agreement",
        "recorded": "The agreement was recorded.",
        "amend_button": "Save the amendment",
        "amended": "The agreement was amended (version 2).",
        "save_calendar": "Save the calendar",
        "calendar_saved": "The calendar was saved.",
        "locked": "Locked quarters",
        "unlock": "Unlock",
        "unlock_button": "Unlock the quarter",
        "unlocked": "The quarter was unlocked",
        "refused": "Access denied",
        "year": "2042-2043",
    },
}


def _sign_in(page: Page, system: ServiceProcesses, user_id: str, language: str) -> None:
    page.goto(f"{system.url('portal')}/signin")
    if language == "en":
        page.get_by_role("button", name="English").click()
    page.get_by_role("button", name=re.compile(user_id.split("@")[0], re.IGNORECASE)).first.click()
    page.wait_for_url(re.compile(r"/$"))


def _previous_quarter() -> FiscalQuarter:
    return FiscalQuarter.of(FiscalQuarter.of(montreal_date(datetime.now(UTC))).first_day - timedelta(days=1))


def _shot(page: Page, language: str, name: str) -> None:
    if language == "fr":
        screenshot(page, name)


def _register(page: Page, w: dict[str, str], language: str) -> str:
    page.get_by_role("link", name=w["admin"], exact=True).click()
    assert_accessible(page)
    page.locator("main").get_by_role("link", name=w["organizations"], exact=True).click()
    assert_accessible(page)
    page.get_by_role("link", name=w["register"]).click()
    page.get_by_role("button", name=w["register_button"]).click()
    expect(page.locator(".error-summary")).to_contain_text(w["problem"])
    assert_accessible(page)
    _shot(page, language, "admin-organization-error")
    org_id = f"org-{language}-{uuid.uuid4().hex[:6]}"
    page.locator("#organization_id").fill(org_id)
    page.locator("#name").fill("Accueil Outaouais" if language == "fr" else "Outaouais Welcome Centre")
    page.locator("#regions").check()
    page.locator("#contact_name").fill("Chantal Roy")
    page.locator("#contact_email").fill("chantal@accueil-outaouais.example")
    page.locator("#contact_role").fill("direction")
    page.get_by_role("button", name=w["register_button"]).click()
    expect(page.get_by_role("status")).to_contain_text(w["registered"])
    return org_id


def _agreement(page: Page, w: dict[str, str], language: str) -> None:
    page.get_by_role("link", name=w["record"], exact=True).click()
    assert_accessible(page)
    start = _previous_quarter().start_year  # covers the quarter locked later
    page.locator("#starts_on").fill(f"{start}-04-01")
    page.locator("#ends_on").fill(f"{start + 3}-03-31")
    page.locator("#volets").check()
    page.locator("#fiscal_year").fill(f"{start}-{start + 1}")
    page.locator("#amount").fill("425000")
    for period, persons in (("year", "200"), ("Q1", "50"), ("Q2", "50"), ("Q3", "50"), ("Q4", "50")):
        page.locator(f"#persons_{period}").fill(persons)
    page.get_by_role("button", name=w["record_button"]).click()
    expect(page.get_by_role("status")).to_contain_text(w["recorded"])
    assert_accessible(page)
    page.locator("#persons_Q4").fill("70")
    page.locator("#reason").fill("Cibles révisées" if language == "fr" else "Targets revised")
    page.get_by_role("button", name=w["amend_button"]).click()
    expect(page.get_by_role("status")).to_contain_text(w["amended"])
    expect(page.locator("main")).to_contain_text("70")
    assert_accessible(page)
    _shot(page, language, "admin-agreement")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_administrator_sets_up_an_organization_and_unlocks_a_quarter(
    page: Page, dev_system: ServiceProcesses, http: httpx.Client, language: str
) -> None:
    w = WORDS[language]
    _sign_in(page, dev_system, ADMIN, language)
    org_id = _register(page, w, language)
    assert_accessible(page)

    page.locator("#reviewer_id").fill(REVIEWER)
    page.get_by_role("button", name=w["assign"], exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(w["assigned"])
    assert_accessible(page)
    _shot(page, language, "admin-organization")
    _agreement(page, w, language)

    page.goto(f"{dev_system.url('portal')}/administration/calendrier?exercice={w['year']}")
    assert_accessible(page)
    page.locator("#control_window_days").fill("")
    page.get_by_role("button", name=w["save_calendar"]).click()
    expect(page.locator(".error-summary")).to_be_visible()
    page.locator("#control_window_days").fill("40")
    page.get_by_role("button", name=w["save_calendar"]).click()
    expect(page.get_by_role("status")).to_contain_text(w["calendar_saved"])
    assert_accessible(page)
    _shot(page, language, "admin-calendar")

    quarter = _locked_quarter(http, dev_system, org_id, agreement_too=False)  # its own covers it
    page.goto(f"{dev_system.url('portal')}/administration")
    page.locator("main").get_by_role("link", name=w["locked"], exact=True).click()
    assert_accessible(page)
    page.locator(f'a[href="/administration/deverrouillage/{org_id}/{quarter}"]').click()
    page.get_by_role("button", name=w["unlock_button"]).click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    _shot(page, language, "admin-unlock")
    page.locator("#reason").fill("Correction demandée" if language == "fr" else "Correction requested")
    page.get_by_role("button", name=w["unlock_button"]).click()
    expect(page.get_by_role("status")).to_contain_text(w["unlocked"])
    assert_accessible(page)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_reviewers_session_opening_an_administration_page_is_refused(
    page: Page, dev_system: ServiceProcesses, language: str
) -> None:
    _sign_in(page, dev_system, REVIEWER, language)
    expect(page.get_by_role("link", name=WORDS[language]["admin"], exact=True)).to_have_count(0)
    answer = page.goto(f"{dev_system.url('portal')}/administration/organismes")
    assert answer is not None
    assert answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_contain_text(WORDS[language]["refused"])
    assert_accessible(page)
