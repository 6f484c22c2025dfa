"""The interventions pages in a real browser (Debian's Chromium), in French and in English: a staff
member declares an intervention that would be refused (said before saving, then beside the field
on saving), then one flagged C5 before saving, fixed by creating the plan from the flag's link,
and saves it clean; imports a file with errors (a dry run: the error table) then a clean one (its outcome, and
the interventions it saved). axe-core on every page visited; the CSP refuses nothing."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from scripts.launcher import PORTAL, ServiceProcesses
from tests.portal.interventions_support import STAFF, known_person, today, unique
from tests.portal.support import assert_accessible, screenshot, watch_csp

pytestmark = pytest.mark.portal

WORDS = {
    "fr": {
        "interventions": "Interventions",
        "declare": "Déclarer une intervention",
        "search": "Chercher une personne",
        "code": "Code d'intervention",
        "duration": "Durée en minutes",
        "date": "Date du service",
        "refused": "Cette intervention serait refusée",
        "save": "Enregistrer l'intervention",
        "problem": "Il y a un problème",
        "fix": "Comment corriger",
        "create_plan": "Créer un plan d'action",
        "plan_title": "Ouvrir un plan d'action",
        "housing": "Logement",
        "open_plan": "Ouvrir le plan d'action",
        "clean": "Aucun problème : elle serait enregistrée sans aucun signalement.",
        "saved": "L'intervention est enregistrée, sans aucun signalement.",
        "imports": "Importations",
        "dry_run": "Vérification seulement (essai)",
        "valid_rows": "Lignes valides seulement",
        "file": "Fichier",
        "import": "Importer le fichier",
        "errors": "Erreurs à corriger",
        "unknown_code": "Code d'intervention inconnu : XYZ",
        "finished": "Terminée",
        "saved_rows": "Interventions enregistrées",
    },
    "en": {
        "interventions": "Interventions",
        "declare": "Declare an intervention",
        "search": "Search a person",
        "code": "Intervention code",
        "duration": "Duration in minutes",
        "date": "Service date",
        "refused": "This intervention would be refused",
        "save": "Save the intervention",
        "problem": "There is a problem",
        "fix": "How to fix it",
        "create_plan": "Create an action plan",
        "plan_title": "Open an action plan",
        "housing": "Housing",
        "open_plan": "Open the action plan",
        "clean": "No problem found: it would be saved without any flag.",
        "saved": "The intervention is saved, without any flag.",
        "imports": "Imports",
        "dry_run": "Check only (dry run)",
        "valid_rows": "Valid rows only",
        "file": "File",
        "import": "Import the file",
        "errors": "Errors to fix",
        "unknown_code": "Unknown intervention code: XYZ",
        "finished": "Finished",
        "saved_rows": "Interventions saved",
    },
}
HEADER = "person_id;code;service_date;duration_minutes;mode;volet;staff_member;notes\n"


def shot(page: Page, language: str, name: str) -> None:
    """The French page pictured (support.screenshot: saved with GSI_PORTAL_SCREENSHOTS=1)."""
    if language == "fr":
        screenshot(page, name)


def sign_in(page: Page, portal: str, language: str) -> None:
    page.goto(f"{portal}/signin")
    page.get_by_role("button", name=re.compile(STAFF)).click()
    if language == "en":
        page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", f"{language}-CA")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_staff_declares_one_refused_then_one_flagged_c5_fixed_by_a_plan(
    page: Page, dev_system: ServiceProcesses, language: str
) -> None:
    words = WORDS[language]
    refused = watch_csp(page)
    family = unique("Bouchard")
    with httpx.Client(timeout=30) as http:
        known_person(http, dev_system, family)
    sign_in(page, dev_system.url(PORTAL), language)
    page.get_by_role("navigation").get_by_role("link", name=words["interventions"]).click()
    assert_accessible(page)
    page.get_by_role("link", name=words["declare"]).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["declare"])
    assert_accessible(page)

    page.get_by_label(words["search"]).fill(family)  # htmx: the persons found as one types
    person = page.get_by_role("radio", name=re.compile(family))
    expect(person).to_be_visible()
    expect(page.locator("#person-results")).to_contain_text(re.compile(r"D-\d{6}"))
    person.check()
    page.get_by_label(words["code"]).select_option("V1:SUI")
    page.get_by_label(words["duration"]).fill("45")
    page.get_by_label(words["date"]).fill("2099-01-05")
    panel = page.locator("#declaration-check")
    expect(panel).to_contain_text(words["refused"])  # said before saving
    assert_accessible(page)
    page.get_by_role("button", name=words["save"]).click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(words["problem"])
    expect(summary.get_by_role("link")).to_contain_text("2099-01-05")
    expect(page.locator("#service_date-error")).to_contain_text("2099-01-05")
    assert_accessible(page)

    page.get_by_label(words["date"]).fill(today())
    expect(panel).to_contain_text("C5")  # flagged before saving, with how to fix it
    expect(panel).to_contain_text(words["fix"])
    assert_accessible(page)
    shot(page, language, "declaration-flagged")
    panel.get_by_role("link", name=words["create_plan"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["plan_title"])
    expect(page.get_by_role("radio", name=re.compile(family))).to_be_checked()
    assert_accessible(page)
    page.get_by_label(words["housing"]).check()
    page.get_by_role("button", name=words["open_plan"]).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(words["declare"])  # back, as typed
    expect(page.locator("#declaration-check")).to_contain_text(words["clean"])
    page.get_by_role("button", name=words["save"]).click()
    expect(page.get_by_role("status").filter(has_text=words["saved"])).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("SUI")
    assert_accessible(page)
    assert refused == []


@pytest.mark.parametrize("language", ["fr", "en"])
def test_staff_imports_a_file_with_errors_then_a_clean_one(
    page: Page, dev_system: ServiceProcesses, language: str
) -> None:
    words = WORDS[language]
    refused = watch_csp(page)
    with httpx.Client(timeout=30) as http:
        person = known_person(http, dev_system, unique("Fichier"))
    with_errors = (
        f"{HEADER}{person};PDI;{today()};30;in_person;V1;karine;\n{person};XYZ;{today()};30;in_person;V1;karine;\n"
    ).encode()
    codes = ("PDI", "ADM", "EVB", "SUI", "REG")
    clean = (
        HEADER + "".join(f"{person};{code};{today()};30;in_person;V1;karine;\n" for code in codes)
    ).encode()
    sign_in(page, dev_system.url(PORTAL), language)
    page.get_by_role("navigation").get_by_role("link", name=words["imports"]).click()
    assert_accessible(page)

    page.get_by_label(words["dry_run"]).check()
    page.get_by_label(words["file"], exact=True).set_input_files(
        {"name": "seances.csv", "mimeType": "text/csv", "buffer": with_errors}
    )
    page.get_by_role("button", name=words["import"]).click()
    expect(page.get_by_role("heading", name=words["errors"])).to_be_visible(timeout=30_000)
    table = page.get_by_role("table").filter(has_text=words["unknown_code"])
    expect(table).to_contain_text("3")  # the file's row
    assert_accessible(page)
    shot(page, language, "import-errors")

    page.goto(f"{dev_system.url(PORTAL)}/imports")
    page.get_by_label(words["valid_rows"]).check()
    page.get_by_label(words["file"], exact=True).set_input_files(
        {"name": "propre.csv", "mimeType": "text/csv", "buffer": clean}
    )
    page.get_by_role("button", name=words["import"]).click()
    # While it runs, the bar (refreshed every second by htmx); then the page again, with the outcome.
    expect(page.get_by_text(words["finished"], exact=True)).to_be_visible(timeout=60_000)
    expect(page.locator("progress")).to_have_count(0)
    expect(page.locator(".summary-list__row", has_text=words["saved_rows"])).to_contain_text(str(len(codes)))
    page.get_by_role("link", name=re.compile(str(len(codes)))).click()
    expect(page.locator(".result-count")).to_contain_text(str(len(codes)))
    assert_accessible(page)
    assert refused == []
