"""The ministry's review in Chromium, in French then in English: a reviewer works the queue,
rejects a report with a reason per intervention (typed in the field that offers the common
reasons), sees it resubmitted, accepts it with an override reason, locks it; on the way, a
second reviewer in another browser takes the same report at the same moment and reads a clear
message on the page; a reviewer typing an unassigned organization's report address finds
nothing. axe-core on every page; screenshots of the queue and the control page with
GSI_PORTAL_SCREENSHOTS=1."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from scripts.launcher import ServiceProcesses
from tests.portal.review_support import (
    NAMES,
    ORG,
    QUARTER,
    REVIEWER,
    SECOND,
    UNASSIGNED,
    resubmit,
    set_up,
    start,
)
from tests.portal.support import assert_accessible, screenshot

pytestmark = pytest.mark.portal

CONTROL = f"/controle/{ORG}/{QUARTER}"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcesses]:
    system = start(tmp_path_factory.mktemp("portal-review-browser"))
    try:
        with httpx.Client(timeout=30) as http:
            set_up(http, system)
        yield system
    finally:
        system.stop()


def _sign_in(page: Page, system: ServiceProcesses, user_id: str, greeting: str = "Bonjour") -> None:
    page.goto(f"{system.url('portal')}/signin")
    page.get_by_role("button", name=re.compile(re.escape(user_id.split("@")[0]), re.IGNORECASE)).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(greeting)


def test_a_reviewer_rejects_sees_the_resubmission_accepts_and_locks(
    page: Page, browser: Browser, system: ServiceProcesses, http: httpx.Client
) -> None:
    _sign_in(page, system, REVIEWER)
    page.get_by_role("link", name="Contrôle", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contrôle des rapports")
    expect(page.locator("#queue tbody tr")).to_have_count(1)
    assert_accessible(page)
    screenshot(page, "review-queue")

    page.get_by_label("Région").select_option("06")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_text("Aucun rapport de la file ne correspond à ces filtres.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Effacer les filtres").click()

    page.locator("#queue").get_by_role("link", name=re.compile(f"T{QUARTER.number}")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Contrôle — Intégration Estrie")
    expect(page.locator("#integrity")).to_contain_text("Intact")
    assert_accessible(page)
    page.get_by_role("button", name="Prendre en contrôle").click()
    expect(page.get_by_role("status")).to_contain_text("Vous avez pris le rapport en contrôle.")
    assert_accessible(page)

    # Only the interventions flagged by C5, then one ticked with a reason from the pick-list.
    page.get_by_label("Signalée par").select_option("C5")
    page.locator("#submission").get_by_role("button", name="Filtrer").click()
    expect(page.locator("#submission tbody tr")).to_have_count(1)
    given = NAMES["flagged"][1]
    page.get_by_role("checkbox", name=re.compile(f"À corriger : .*{given}")).check()
    reason = page.get_by_role("combobox", name=re.compile(f"Motif : .*{given}"))
    reason.fill("Suivi sans plan d'action actif")
    page.get_by_label("Motif du refus").fill("Un suivi à justifier")
    assert_accessible(page)
    screenshot(page, "review-control")
    page.get_by_role("button", name="Refuser le rapport").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Le rapport a été refusé avec 1 intervention à corriger."
    )
    expect(page.locator("#rejection")).to_contain_text("Suivi sans plan d'action actif")
    assert_accessible(page)

    resubmit(http, system)
    page.get_by_role("link", name="Retour à la file de travail").click()
    expect(page.locator("#queue")).to_contain_text("(soumission 2)")
    page.locator("#queue").get_by_role("link", name=re.compile(f"T{QUARTER.number}")).click()
    expect(page.locator("#rejection")).to_contain_text("Plan d'action ouvert")  # the answer
    _taken_at_once_by_a_second_reviewer(page, browser, system)
    expect(page.get_by_text("pour l'accepter quand même, donnez le motif")).to_be_visible()
    page.get_by_role("button", name="Accepter le rapport").click()
    expect(page.get_by_role("alert")).to_contain_text("erreur(s) bloquante(s)")
    assert_accessible(page)
    page.get_by_label(re.compile("Motif de dérogation")).fill("Plan d'action confirmé par l'organisme")
    page.get_by_role("button", name="Accepter le rapport").click()
    expect(page.get_by_role("status")).to_contain_text("Le rapport a été accepté malgré ses erreurs")
    page.get_by_role("button", name="Verrouiller le trimestre").click()
    expect(page.get_by_role("status")).to_contain_text("Le trimestre est verrouillé")
    assert_accessible(page)


def _taken_at_once_by_a_second_reviewer(page: Page, browser: Browser, system: ServiceProcesses) -> None:
    """A second reviewer, in another browser, has the same report open: the first takes it, then
    the second presses the same button — the page says someone else acted, and shows the report
    as it now is (not an error page)."""
    context = browser.new_context(locale="fr-CA")
    try:
        other = context.new_page()
        other.set_default_timeout(20_000)
        _sign_in(other, system, SECOND)
        other.goto(f"{system.url('portal')}{CONTROL}")
        expect(other.get_by_role("button", name="Prendre en contrôle")).to_be_visible()
        page.get_by_role("button", name="Prendre en contrôle").click()
        expect(page.get_by_role("status")).to_contain_text("Vous avez pris le rapport en contrôle.")
        other.get_by_role("button", name="Prendre en contrôle").click()
        expect(other.get_by_role("alert")).to_contain_text("Quelqu'un d'autre a agi sur ce rapport")
        expect(other.get_by_role("alert")).to_contain_text("il est maintenant en contrôle")
        expect(other.get_by_role("heading", level=1)).to_contain_text("Contrôle — Intégration Estrie")
        assert_accessible(other)
    finally:
        context.close()


def test_an_unassigned_organizations_report_is_not_found(page: Page, system: ServiceProcesses) -> None:
    _sign_in(page, system, UNASSIGNED)
    answer = page.goto(f"{system.url('portal')}{CONTROL}")
    assert answer is not None
    assert answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_contain_text("introuvable")
    assert_accessible(page)


def test_the_review_pages_in_english(page: Page, system: ServiceProcesses) -> None:
    _sign_in(page, system, REVIEWER)
    page.get_by_role("button", name="English").click()
    page.get_by_role("link", name="Review", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review of the reports")
    expect(page.get_by_role("heading", name=re.compile("Overview of the fiscal year"))).to_be_visible()
    assert_accessible(page)
    page.goto(f"{system.url('portal')}{CONTROL}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review — Intégration Estrie")
    expect(page.get_by_role("heading", name="The submission as frozen", exact=False)).to_be_visible()
    assert_accessible(page)
