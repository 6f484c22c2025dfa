"""A staff member's journey through the persons pages in a real browser (Debian's Chromium), in
French and in English: sign in, register a person (an error shown in the summary and beside the
field, then fixed), read the eligibility, find the person by typing part of the name without
its accents (live results), open the file, change the address. axe-core on every page; the CSP
refuses nothing."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from scripts.launcher import PORTAL, ServiceProcesses
from tests.portal.support import assert_accessible, watch_csp

pytestmark = pytest.mark.portal

FRENCH = {
    "persons": "Personnes",
    "register": "Inscrire une personne",
    "family": "Nom de famille",
    "given": "Prénom",
    "birth": "Date de naissance",
    "female": "Femme",
    "country": "Pays de naissance",
    "country_name": "Colombie",
    "first_language": "Première langue",
    "language_name": "espagnol",
    "status": "Statut",
    "status_name": "Résident·e permanent·e",
    "postal": "Code postal",
    "region": "Région administrative",
    "consent": "Prestation de services",
    "save": "Inscrire la personne",
    "problem": "Il y a un problème",
    "missing_given": "Entrez le prénom",
    "registered": "Personne inscrite",
    "eligible": "Admissible",
    "not_eligible": "Non admissible",
    "rule": "(règle E3)",
    "admission": "Date d'admission",
    "search": "Nom, IUC ou numéro de dossier",
    "found": "1 personne trouvée",
    "change_address": "Modifier l'adresse",
    "municipality": "Municipalité",
    "reason": "Motif du changement",
    "save_address": "Enregistrer la nouvelle adresse",
    "address_saved": "La nouvelle adresse est enregistrée.",
}
ENGLISH = {
    "persons": "Persons",
    "register": "Register a person",
    "family": "Family name",
    "given": "Given name",
    "birth": "Birth date",
    "female": "Female",
    "country": "Country of birth",
    "country_name": "Colombia",
    "first_language": "First language",
    "language_name": "Spanish",
    "status": "Status",
    "status_name": "Permanent resident",
    "postal": "Postal code",
    "region": "Administrative region",
    "consent": "Service delivery",
    "save": "Register the person",
    "problem": "There is a problem",
    "missing_given": "Enter the given name",
    "registered": "Person registered",
    "eligible": "Eligible",
    "not_eligible": "Not eligible",
    "rule": "(rule E3)",
    "admission": "Admission date",
    "search": "Name, UCI or file number",
    "found": "1 person found",
    "change_address": "Change the address",
    "municipality": "Municipality",
    "reason": "Reason for the change",
    "save_address": "Save the new address",
    "address_saved": "The new address was saved.",
}


def journey(page: Page, portal: str, words: dict[str, str], family: str, typed: str) -> None:
    page.goto(f"{portal}/signin")
    page.get_by_role("button", name=re.compile("karine@org-sherbrooke")).click()
    page.get_by_role("navigation").get_by_role("link", name=words["persons"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["persons"])
    assert_accessible(page)

    page.get_by_role("link", name=words["register"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["register"])
    assert_accessible(page)
    page.get_by_label(words["family"]).fill(family)
    page.get_by_label(words["birth"]).fill("1987-09-23")
    page.get_by_label(words["female"]).check()
    page.get_by_label(words["country"]).select_option(label=words["country_name"])
    page.get_by_label(words["first_language"]).select_option(label=words["language_name"])
    page.get_by_label(words["status"], exact=True).select_option(label=words["status_name"])
    page.get_by_label(words["admission"]).fill("2025-06-01")
    # The postal code fills in the region as the person leaves the field (htmx).
    page.get_by_label(words["postal"]).fill("J1H 1N9")
    page.get_by_label(words["postal"]).press("Tab")
    expect(page.get_by_label(words["region"])).to_have_value("05")
    page.get_by_label(words["consent"]).check()
    page.get_by_role("button", name=words["save"]).click()

    # The given name was left empty: the summary links to it, the message sits beside it.
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(words["problem"])
    expect(summary.get_by_role("link", name=words["missing_given"])).to_have_attribute("href", "#given_name")
    expect(page.locator("#given_name-error")).to_contain_text(words["missing_given"])
    expect(page.get_by_label(words["family"])).to_have_value(family)  # nothing typed is lost
    assert_accessible(page)
    page.get_by_role("alert").get_by_role("link", name=words["missing_given"]).click()
    expect(page.get_by_label(words["given"])).to_be_focused()
    page.get_by_label(words["given"]).fill("Hélène")
    page.get_by_role("button", name=words["save"]).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hélène {family}")
    expect(page.get_by_text(words["registered"])).to_be_visible()
    expect(page.locator(".eligibility__item", has_text="V1")).to_contain_text(words["eligible"])
    v4 = page.locator(".eligibility__item", has_text="V4")
    expect(v4).to_contain_text(words["not_eligible"])
    expect(v4).to_contain_text(words["rule"])  # with its reason
    assert_accessible(page)

    # Found again by typing part of the name without its accents: results come as one types.
    page.get_by_role("navigation").get_by_role("link", name=words["persons"]).click()
    page.get_by_label(words["search"]).press_sequentially(typed, delay=30)
    expect(page.locator("#result-count")).to_have_text(words["found"])
    expect(page).to_have_url(re.compile(r"/personnes\?q="))
    assert_accessible(page)
    page.get_by_role("link", name=f"{family}, Hélène").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hélène {family}")

    page.get_by_role("link", name=words["change_address"]).click()
    assert_accessible(page)
    page.get_by_label(words["municipality"]).fill("Laval")
    page.get_by_label(words["postal"]).fill("H7N 1A1")
    page.get_by_label(words["postal"]).press("Tab")
    expect(page.get_by_label(words["region"])).to_have_value("13")
    page.get_by_label(words["reason"]).fill("Déménagement")
    page.get_by_role("button", name=words["save_address"]).click()
    expect(page.get_by_role("status").filter(has_text=words["address_saved"])).to_be_visible()
    expect(page.locator(".summary-list")).to_contain_text("Laval (13)")
    assert_accessible(page)


def _family() -> str:
    letters = "".join(chr(ord("a") + int(c, 16) % 26) for c in uuid.uuid4().hex[:5])
    return f"Lefèvre-Côté{letters}"


def test_staff_registers_finds_and_changes_a_person_in_french(
    page: Page, dev_system: ServiceProcesses
) -> None:
    refused = watch_csp(page)
    family = _family()
    typed = "lefevre " + "cote" + family[len("Lefèvre-Côté") :]
    journey(page, dev_system.url(PORTAL), FRENCH, family, typed)
    assert refused == []


def test_staff_registers_finds_and_changes_a_person_in_english(
    page: Page, dev_system: ServiceProcesses
) -> None:
    refused = watch_csp(page)
    portal = dev_system.url(PORTAL)
    page.goto(f"{portal}/signin")
    page.get_by_role("button", name="English").click()
    family = _family()
    typed = "COTE" + family[len("Lefèvre-Côté") :] + " lefev"
    journey(page, portal, ENGLISH, family, typed)
    assert refused == []
