"""Every page an organization's staff member uses, visited in Chromium in French as one would (from
the menu, by the links), each asserted on what it shows, checked by axe-core, and pictured for the
README (``GSI_PORTAL_SCREENSHOTS=1`` saves them to docs/portal/; the declaration with its check
panel, the import's dry run, the report's steps and a notice are pictured by the journeys of
test_interventions_browser.py and test_reports.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from scripts.launcher import PORTAL, ServiceProcesses
from tests.portal.home_support import EXCEPTION_REASON, STAFF, Quarter, organization_quarter, previous_quarter
from tests.portal.support import PORT_SHIFT, assert_accessible, screenshot, watch_csp

pytestmark = pytest.mark.portal

BASE_PORT = 19380 + PORT_SHIFT  # apart from the other portal tests' ports (test_home: 19360)


@pytest.fixture(scope="module")
def quarter_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServiceProcesses, Quarter]]:
    with organization_quarter(tmp_path_factory.mktemp("portal-screens"), BASE_PORT) as made:
        yield made


def seen(page: Page, name: str) -> None:
    """The page checked by axe, then pictured."""
    assert_accessible(page)
    screenshot(page, name)


def menu(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name=name, exact=True).click()


def test_every_page_of_the_staffs_quarter_is_shown_and_pictured(
    page: Page, quarter_system: tuple[ServiceProcesses, Quarter]
) -> None:
    system, made = quarter_system
    refused = watch_csp(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{system.url(PORTAL)}/signin")
    page.get_by_role("button", name=re.compile(STAFF)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")
    expect(page.locator(".bar-chart__row")).to_have_count(5)
    expect(page.get_by_role("link", name="intervention avec une erreur")).to_be_visible()
    seen(page, "home")

    menu(page, "Personnes")
    page.get_by_label("Nom, IUC ou numéro de dossier").press_sequentially("karimi", delay=30)
    expect(page.locator("#result-count")).to_have_text("1 personne trouvée")
    seen(page, "persons-search")
    page.get_by_role("link", name="Karimi, Farah").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(made.clean)
    expect(page.locator("main")).to_contain_text("Trouver un logement permanent")  # the plan
    seen(page, "person-file")

    menu(page, "Personnes")
    page.get_by_role("link", name="Inscrire une personne").click()
    page.get_by_label("Nom de famille").fill("Nguyen")
    page.get_by_role("button", name="Inscrire la personne").click()
    expect(page.get_by_role("alert")).to_contain_text("Il y a un problème")
    expect(page.locator("#given_name-error")).to_contain_text("Entrez le prénom")
    seen(page, "person-register-error")

    menu(page, "Interventions")
    expect(page.locator("main table")).to_contain_text(made.flagged)
    seen(page, "interventions-list")
    page.locator("main table tr", has_text=made.flagged).get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("SUI")
    expect(page.locator("main")).to_contain_text("C5")
    seen(page, "intervention-detail")

    menu(page, "Plans d'action")
    expect(page.locator("main table")).to_contain_text(made.clean)
    seen(page, "plans")
    page.locator("main table").get_by_role("link", name=re.compile(made.clean)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Plan d'action")
    expect(page.locator("main")).to_contain_text("Trouver un logement permanent")
    seen(page, "plan")

    menu(page, "Régionalisation")
    expect(page.get_by_role("heading", level=1)).to_have_text("Suivis de régionalisation")
    expect(page.locator("main")).to_contain_text(made.clean)
    seen(page, "regionalization")

    menu(page, "Importations")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Import")
    seen(page, "imports")

    menu(page, "Rapports")
    locked = previous_quarter()
    name = f"T{locked.number} {locked.start_year}-{locked.start_year + 1}"
    page.locator("main table").get_by_role("link", name=name).click()
    expect(page.locator("main")).to_contain_text("Trimestre verrouillé")
    assert_accessible(page)
    page.get_by_role("link", name="Demander une exception au verrouillage").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Demander une exception au verrouillage")
    page.get_by_label(re.compile("Motif")).fill("Une intervention de septembre à corriger")
    seen(page, "lock-exception-request")
    page.goto(f"{system.url(PORTAL)}/exceptions-verrouillage/{made.exception}")
    expect(page.locator("main")).to_contain_text(EXCEPTION_REASON)
    seen(page, "lock-exception")

    menu(page, "Avis")
    expect(page.get_by_role("heading", level=1)).to_have_text("Avis")
    expect(page.locator("main table tbody tr").first).to_be_visible()
    seen(page, "inbox")
    page.locator("main table tbody tr").first.get_by_role("link").first.click()
    expect(page.locator(".notice-content")).to_be_visible()
    assert_accessible(page)
    assert refused == []
