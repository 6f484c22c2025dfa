"""The portal in a real browser (Debian's Chromium): development sign-in in French, the home
page's report card read from the real services, English one click away, the skip link with the
keyboard, the 404 page, sign-out; and sign-in through Keycloak's own login page, the services
verifying Keycloak's token. axe-core runs on every page visited; the CSP refuses nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from babel.dates import format_date
from playwright.sync_api import Page, expect

from gsi_kernel.clock import montreal_date
from scripts.launcher import PORTAL, ServiceProcesses
from tests.portal.support import assert_accessible, this_quarter, watch_csp

pytestmark = pytest.mark.portal


def test_dev_sign_in_in_french_then_english(page: Page, dev_system: ServiceProcesses) -> None:
    refused = watch_csp(page)
    portal = dev_system.url(PORTAL)
    quarter = this_quarter()

    page.goto(f"{portal}/")
    expect(page).to_have_url(re.compile(r"/signin\?next=/$"))
    expect(page.locator("html")).to_have_attribute("lang", "fr-CA")
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    assert_accessible(page)

    page.get_by_role("button", name=re.compile("karine@org-sherbrooke")).click()
    expect(page).to_have_url(f"{portal}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour, karine@org-sherbrooke")
    card = page.get_by_role("region", name=re.compile("Rapport trimestriel"))
    expect(card.get_by_role("heading")).to_have_text(
        f"Rapport trimestriel : T{quarter.number} {quarter.start_year}-{quarter.start_year + 1}"
    )
    expect(card).to_contain_text("Brouillon")
    expect(card.locator(".summary-list__row", has_text="Interventions du trimestre")).to_contain_text("1")
    # Dates as a Quebecer writes them: "Nous sommes le 6 décembre 2026."
    today = montreal_date(datetime.now(UTC))
    expect(page.locator(".lead")).to_have_text(
        f"Nous sommes le {format_date(today, 'long', locale='fr_CA')}."
    )
    expect(page.get_by_role("banner")).to_contain_text("karine@org-sherbrooke")
    assert_accessible(page)

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en-CA")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, karine@org-sherbrooke")
    card = page.get_by_role("region", name=re.compile("Quarterly report"))
    expect(card.get_by_role("heading")).to_have_text(
        f"Quarterly report: Q{quarter.number} {quarter.start_year}-{quarter.start_year + 1}"
    )
    expect(card).to_contain_text("Draft")
    expect(page.locator(".lead")).to_have_text(f"Today is {format_date(today, 'long', locale='en_CA')}.")
    assert_accessible(page)

    # The language is remembered: another page is in English too.
    page.goto(f"{portal}/no-such-page")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are signed out")
    assert_accessible(page)
    page.goto(f"{portal}/")
    expect(page).to_have_url(re.compile(r"/signin"))
    assert refused == []


def test_the_skip_link_is_the_first_stop_of_the_keyboard(page: Page, dev_system: ServiceProcesses) -> None:
    page.goto(f"{dev_system.url(PORTAL)}/signin")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Passer au contenu principal")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # Then the keyboard alone signs in: the first demo user's button is the next stop.
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name=re.compile("karine@org-sherbrooke"))).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour, karine@org-sherbrooke")


def test_sign_in_through_keycloak_and_read_a_service(page: Page, keycloak_system: ServiceProcesses) -> None:
    refused = watch_csp(page)
    portal = keycloak_system.url(PORTAL)
    page.goto(f"{portal}/")
    # Keycloak's own login page (the realm's), in French as the portal asked (ui_locales).
    expect(page).to_have_url(re.compile(r"/realms/gsi/protocol/openid-connect/auth"))
    page.locator("#username").fill("sophie@org-sherbrooke")
    page.locator("#password").fill("gsi-demo")
    page.locator("#kc-login").click()

    expect(page).to_have_url(f"{portal}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour, Sophie Tremblay")
    # The report card came from reporting, which verified Keycloak's token through its JWKS.
    card = page.get_by_role("region", name=re.compile("Rapport trimestriel"))
    expect(card).to_contain_text("Brouillon")
    expect(card.locator(".summary-list__row", has_text="Interventions du trimestre")).to_contain_text("0")
    assert_accessible(page)

    # Signing out ends Keycloak's session too: the portal's home asks for the password again.
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(f"{portal}/signed-out")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vous êtes déconnecté")
    page.goto(f"{portal}/")
    expect(page.locator("#password")).to_be_visible()
    assert refused == []
