"""An administrator's journey through the privacy pages in a real browser (Debian's Chromium), in
French and in English: from the registers' page, a duplicate pair compared side by side and
merged with a reason, then a person found by file number and erased once the number is typed
again; the access log, the incident register, the reminder schedule, the delivery log, the
templates and the audit trail opened. axe-core on every page; the CSP refuses nothing;
screenshots into docs/portal/ with GSI_PORTAL_SCREENSHOTS=1."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from scripts.demo_plan import ADMIN
from scripts.launcher import PORTAL, ServiceProcesses
from tests.people import refugee
from tests.portal.interventions_support import STAFF, unique
from tests.portal.persons_support import api_token, register
from tests.portal.support import assert_accessible, screenshot, watch_csp

pytestmark = pytest.mark.portal

FRENCH = {
    "hub": "Vie privée, avis et audit",
    "duplicates": "Doublons probables",
    "reason": "Motif de la décision",
    "merge": "Fusionner le dossier récent dans le dossier existant",
    "merged": "Les dossiers ont été fusionnés",
    "person_data": "Renseignements d'une personne (Loi 25)",
    "file_number": "Numéro de dossier",
    "find": "Trouver le dossier",
    "confirm": "Tapez le numéro de dossier",
    "erase_reason": "Motif de l'effacement",
    "erase": "Effacer les renseignements de la personne",
    "erased": "Les renseignements de la personne ont été effacés",
    "problem": "Il y a un problème",
}
ENGLISH = {
    "hub": "Privacy, notifications and audit",
    "duplicates": "Probable duplicates",
    "reason": "Reason for the decision",
    "merge": "Merge the newer file into the existing one",
    "merged": "The files were merged",
    "person_data": "A person's data (Loi 25)",
    "file_number": "File number",
    "find": "Find the file",
    "confirm": "Type the file number",
    "erase_reason": "Reason for the erasure",
    "erase": "Erase the person's data",
    "erased": "The person's data was erased",
    "problem": "There is a problem",
}
# The other pages, each with the shot's name (French run only).
OTHERS = (
    ("/administration/confidentialite/journal", "admin-access-log"),
    ("/administration/confidentialite/incidents/nouveau", "admin-incident-new"),
    ("/administration/avis", "admin-reminder-schedule"),
    ("/administration/avis/envois", "admin-deliveries"),
    ("/administration/avis/modeles?type=report_rejected", "admin-templates"),
    ("/administration/audit?service=registration", "admin-audit"),
)


def _data(http: httpx.Client, system: ServiceProcesses) -> tuple[str, str]:
    """A probable duplicate (the same person in Sherbrooke then in Montréal) and a person to erase;
    the duplicate's family name and the erased person's file number."""
    family = unique("Haddad")
    register(http, system, api_token(http, system, STAFF), refugee(family, "Amina"))
    register(http, system, api_token(http, system, "marc@org-montreal"), refugee(family.upper(), "Amina"))
    person_id = register(http, system, api_token(http, system, STAFF), refugee(unique("Diallo"), "Awa"))
    admin = api_token(http, system, ADMIN)
    file = http.get(f"{system.url('registration')}/persons/{person_id}", headers=admin).json()
    return family, str(file["file_reference"])


def journey(page: Page, portal: str, words: dict[str, str], family: str, reference: str, shots: bool) -> None:
    def shot(name: str) -> None:
        assert_accessible(page)
        if shots:
            screenshot(page, name)

    page.goto(f"{portal}/signin")
    page.get_by_role("button", name=re.compile(re.escape(ADMIN))).click()
    page.get_by_role("navigation").get_by_role("link", name="Administration").click()
    page.get_by_role("link", name=words["hub"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["hub"])
    shot("admin-registers")
    page.get_by_role("link", name=words["duplicates"]).click()
    shot("admin-duplicates")
    page.get_by_role("link", name=re.compile(re.escape(family.upper()))).click()
    shot("admin-duplicate-pair")
    page.get_by_role("button", name=words["merge"]).click()  # no reason yet
    expect(page.get_by_role("alert")).to_contain_text(words["problem"])
    assert_accessible(page)
    page.get_by_label(words["reason"]).fill("Même personne, inscrite deux fois")
    page.get_by_role("button", name=words["merge"]).click()
    expect(page.get_by_role("status")).to_contain_text(words["merged"])
    assert_accessible(page)

    page.goto(f"{portal}/administration/suivi")
    page.get_by_role("link", name=words["person_data"]).click()
    assert_accessible(page)
    page.get_by_label(words["file_number"]).fill(reference)
    page.get_by_role("button", name=words["find"]).click()
    shot("admin-person-erase")
    page.get_by_label(re.compile(words["confirm"])).fill(reference)
    page.get_by_label(words["erase_reason"]).fill("Demande d'effacement (Loi 25)")
    page.get_by_role("button", name=words["erase"]).click()
    expect(page.get_by_role("status")).to_contain_text(words["erased"])
    shot("admin-person-erased")

    for path, name in OTHERS:
        page.goto(f"{portal}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        shot(name)


def test_an_administrator_merges_duplicates_and_erases_a_person_in_french(
    page: Page, dev_system: ServiceProcesses, http: httpx.Client
) -> None:
    refused = watch_csp(page)
    family, reference = _data(http, dev_system)
    journey(page, dev_system.url(PORTAL), FRENCH, family, reference, shots=True)
    assert refused == []


def test_an_administrator_merges_duplicates_and_erases_a_person_in_english(
    page: Page, dev_system: ServiceProcesses, http: httpx.Client
) -> None:
    refused = watch_csp(page)
    portal = dev_system.url(PORTAL)
    page.goto(f"{portal}/signin")
    page.get_by_role("button", name="English").click()
    family, reference = _data(http, dev_system)
    journey(page, portal, ENGLISH, family, reference, shots=False)
    assert refused == []
