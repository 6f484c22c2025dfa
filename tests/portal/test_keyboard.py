"""One real journey with the keyboard alone (Tab, Shift+Tab, Enter, Space, arrows and typing; no
click): a staff member signs in, goes from the home page to Persons, registers a person, then
declares an intervention for them. Every element the keyboard stops on shows where the focus is
(an outline one can see, read from the computed style), and axe-core checks every page visited."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Locator, Page, expect

from scripts.launcher import PORTAL, ServiceProcesses
from tests.portal.support import assert_accessible, watch_csp

pytestmark = pytest.mark.portal

MAX_TABS = 80  # a page's tab stops, at most, before the wanted one


def focus_is_visible(page: Page) -> None:
    """The focused element draws an outline (or a ring) one can see."""
    style = page.evaluate(
        """() => {
            const element = document.activeElement;
            const style = getComputedStyle(element);
            return {tag: element.tagName, id: element.id, type: element.type, visible: element.matches(":focus-visible"), focus: element.matches(":focus"), outline: style.outlineStyle, width: parseFloat(style.outlineWidth),
                    color: style.outlineColor, shadow: style.boxShadow};
        }"""
    )
    assert style["tag"] != "BODY", "nothing has the focus"
    outlined = style["outline"] not in ("none", "hidden") and style["width"] >= 2
    assert outlined, repr(style)
    assert style["color"] not in ("transparent", "rgba(0, 0, 0, 0)"), repr(style)


def is_focused(target: Locator) -> bool:
    return bool(target.evaluate("element => element === document.activeElement"))


def tab_to(page: Page, target: Locator, *, back: bool = False) -> None:
    """Tab (or Shift+Tab) until ``target`` has the focus, the focus seen at every stop."""
    key = "Shift+Tab" if back else "Tab"
    for _ in range(MAX_TABS):
        if target.count() == 1 and is_focused(target):
            return
        page.keyboard.press(key)
        if page.evaluate("document.activeElement !== document.body"):
            focus_is_visible(page)
    raise AssertionError(f"the keyboard never reached {target}")


def press_on(page: Page, target: Locator, key: str = "Enter") -> None:
    tab_to(page, target)
    page.keyboard.press(key)


def type_into(page: Page, target: Locator, text: str) -> None:
    tab_to(page, target)
    page.keyboard.type(text)


def type_date(page: Page, target: Locator, day: str) -> None:
    """A date field typed segment by segment, each moving on to the next once full. Chromium draws
    the field in its own language's order (month, day, year here), not the page's."""
    tab_to(page, target)
    year, month, date = day.split("-")
    page.keyboard.type(month + date + year)
    expect(target).to_have_value(day)


def choose(page: Page, target: Locator, label: str) -> None:
    """A closed pick-list's option chosen by typing the beginning of its text."""
    tab_to(page, target)
    page.keyboard.type(label)
    expect(target.locator("option:checked")).to_contain_text(label)


def test_staff_register_a_person_then_declare_an_intervention_with_the_keyboard_alone(
    page: Page, dev_system: ServiceProcesses
) -> None:
    refused = watch_csp(page)
    family = "Nakamura" + "".join(chr(ord("a") + int(c, 16) % 26) for c in uuid.uuid4().hex[:5])
    page.goto(f"{dev_system.url(PORTAL)}/signin")
    press_on(page, page.get_by_role("button", name=re.compile("karine@org-sherbrooke")))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")
    assert_accessible(page)

    nav = page.get_by_role("navigation", name="Menu principal")
    press_on(page, nav.get_by_role("link", name="Personnes", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Personnes")
    assert_accessible(page)
    press_on(page, page.get_by_role("link", name="Inscrire une personne"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Inscrire une personne")
    assert_accessible(page)

    type_into(page, page.get_by_label("Nom de famille"), family)
    type_into(page, page.get_by_label("Prénom"), "Aiko")
    type_date(page, page.get_by_label("Date de naissance"), "1991-04-18")
    press_on(page, page.get_by_label("Femme"), "Space")
    expect(page.get_by_label("Femme")).to_be_checked()
    choose(page, page.get_by_label("Pays de naissance"), "Japon")
    choose(page, page.get_by_label("Première langue"), "japonais")
    choose(page, page.get_by_label("Statut", exact=True), "Résident·e permanent·e")
    type_date(page, page.get_by_label("Date d'admission"), "2025-06-01")
    type_into(page, page.get_by_label("Code postal"), "J1H 1N9")
    page.keyboard.press("Tab")  # leaving the field fills in the region
    expect(page.get_by_label("Région administrative")).to_have_value("05")
    press_on(page, page.get_by_label("Prestation de services"), "Space")
    expect(page.get_by_label("Prestation de services")).to_be_checked()
    # Back up one field with Shift+Tab: the postal code is still as typed.
    tab_to(page, page.get_by_label("Code postal"), back=True)
    expect(page.get_by_label("Code postal")).to_have_value("J1H 1N9")
    press_on(page, page.get_by_role("button", name="Inscrire la personne"))

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Aiko {family}")
    expect(page.get_by_text("Personne inscrite")).to_be_visible()
    expect(page.locator(".eligibility__item", has_text="V1")).to_contain_text("Admissible")
    assert_accessible(page)

    press_on(page, nav.get_by_role("link", name="Interventions", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Interventions")
    assert_accessible(page)
    press_on(page, page.get_by_role("link", name="Déclarer une intervention").first)
    expect(page.get_by_role("heading", level=1)).to_have_text("Déclarer une intervention")
    assert_accessible(page)
    type_into(page, page.get_by_label("Chercher une personne"), family)
    person = page.get_by_role("radio", name=re.compile(family))
    expect(person).to_be_visible()  # found as one types
    press_on(page, person, "Space")
    expect(person).to_be_checked()
    choose(page, page.get_by_label("Code d'intervention"), "ACC")
    type_into(page, page.get_by_label("Durée en minutes"), "45")
    page.keyboard.press("Tab")  # leaving the field runs the checks
    panel = page.locator("#declaration-check")
    expect(panel).to_contain_text("Aucun problème")  # the checks ran before saving
    assert_accessible(page)
    press_on(page, page.get_by_role("button", name="Enregistrer l'intervention"))

    expect(page.get_by_role("status").filter(has_text="L'intervention est enregistrée")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("ACC")
    expect(page.locator("main")).to_contain_text(f"Aiko {family}")
    assert_accessible(page)
    assert refused == []
