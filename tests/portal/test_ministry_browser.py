"""The ministry's pages in Chromium, in French and in English: a reviewer goes from the menu to
the organizations they follow and one's profile, the programme's indicators, and the
lock-exception requests, grants one through its form; axe on every page (no serious or critical
violation), no chart refused by the CSP, and a picture of each page for the README
(``GSI_PORTAL_SCREENSHOTS=1``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from scripts.launcher import ServiceProcesses
from tests.portal.support import PORT_SHIFT, assert_accessible, screenshot, watch_csp
from tests.portal.test_ministry_pages import ministry_system
from tests.portal.test_reports import OFFSET, REVIEWER, TODAY

pytestmark = pytest.mark.portal

BASE_PORT = 19420 + PORT_SHIFT  # apart from the in-process ministry tests (19400)


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcesses]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GSI_PORTAL_CLOCK_OFFSET_DAYS", str(OFFSET))
        with ministry_system(tmp_path_factory.mktemp("portal-ministry-browser"), BASE_PORT) as started:
            yield started


def _sign_in(page: Page, system: ServiceProcesses) -> None:
    page.goto(f"{system.url('portal')}/signin")
    page.get_by_role("button", name=re.compile(REVIEWER.split("@")[0], re.IGNORECASE)).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")


def _checked(page: Page, heading: str | re.Pattern[str], shot: str | None = None) -> None:
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    assert_accessible(page)
    if shot:
        screenshot(page, shot)


def test_a_reviewer_follows_an_organization_reads_the_indicators_and_grants_an_exception(
    page: Page, system: ServiceProcesses
) -> None:
    refused = watch_csp(page)
    _sign_in(page, system)
    menu = page.get_by_role("navigation", name="Menu principal")
    menu.get_by_role("link", name="Organismes").click()
    _checked(page, "Organismes", "ministry-organizations")
    page.get_by_role("link", name="Intégration Estrie").click()
    _checked(page, "Intégration Estrie", "ministry-organization")
    expect(page.locator(".bar-chart").first).to_be_visible()
    expect(page.get_by_role("table", name=re.compile("Réalisations de chaque trimestre"))).to_be_visible()

    menu.get_by_role("link", name="Indicateurs").click()
    _checked(page, "Indicateurs du programme", "ministry-indicators")
    expect(page.get_by_role("table", name=re.compile("par code d'intervention"))).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Télécharger ce tableau")).nth(2).click()
    assert download.value.suggested_filename.startswith("indicateurs-codes-")

    menu.get_by_role("link", name="Exceptions au verrouillage").click()
    _checked(page, "Demandes d'exception au verrouillage", "ministry-exceptions")
    page.get_by_role("link", name="Intégration Estrie").first.click()
    _checked(page, "Demande d'exception au verrouillage")
    page.get_by_role("button", name="Accorder l'exception").click()  # no day: said beside the field
    expect(page.locator(".error-summary")).to_contain_text("dernier jour de validité")
    _checked(page, "Demande d'exception au verrouillage", "ministry-exception")
    page.get_by_label("Valide jusqu'au").fill((TODAY + timedelta(days=7)).isoformat())
    page.get_by_role("button", name="Accorder l'exception").click()
    expect(page.get_by_role("status")).to_contain_text("L'exception est accordée")
    _checked(page, "Demande d'exception au verrouillage")
    assert refused == []


def test_the_same_pages_in_english(page: Page, system: ServiceProcesses) -> None:
    _sign_in(page, system)
    page.get_by_role("button", name="English").click()
    menu = page.get_by_role("navigation", name="Main menu")
    menu.get_by_role("link", name="Organizations").click()
    _checked(page, "Organizations")
    page.get_by_role("link", name="Intégration Estrie").click()
    _checked(page, "Intégration Estrie")
    expect(page.get_by_role("heading", name="Assigned reviewers")).to_be_visible()
    menu.get_by_role("link", name="Indicators").click()
    _checked(page, "Programme indicators")
    expect(page.get_by_role("heading", name="12-month regional retention")).to_be_visible()
    menu.get_by_role("link", name="Lock exceptions").click()
    _checked(page, "Lock exception requests")
    page.get_by_role("link", name="Intégration Estrie").first.click()
    _checked(page, "Lock exception request")
    page.get_by_role("button", name="Refuse the exception").click()
    expect(page.locator(".error-summary")).to_contain_text("Enter the reason for the decision")
    assert_accessible(page)
