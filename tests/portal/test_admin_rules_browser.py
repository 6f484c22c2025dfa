"""The programme-rules pages in Chromium, in French (the intervention catalogue) and in English
(the eligibility rules): an administrator opens the versions and one version's settings, sends
a proposal the service refuses (said on the form), previews a valid one — what it changes,
side by side, each change written out — publishes it, then compares it with the version it
replaces. axe on every page visited; the French pages pictured into docs/portal/
(``GSI_PORTAL_SCREENSHOTS=1``)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from gsi_kernel.clock import montreal_date
from scripts.launcher import ServiceProcesses
from tests.portal.support import assert_accessible, screenshot
from tests.portal.test_admin_browser import _sign_in
from tests.portal.test_admin_pages import ADMIN
from tests.portal.test_admin_rules_pages import next_date, younger_obi

pytestmark = pytest.mark.portal


def _a_year_less(document: dict[str, Any]) -> None:
    """Relative to the latest version: other tests of the session publish too."""
    document["rules"]["E4"]["max_years"]["permanent_resident"]["years"] -= 1


WORDS: dict[str, dict[str, Any]] = {
    "fr": {
        "kind": "catalogue",
        "change": younger_obi,
        "path": "codes.OBI.min_age",
        "rules": "Règles du programme",
        "publish": "Publier une nouvelle version",
        "preview": "Voir les changements",
        "problem": "Il y a un problème",
        "retroactive": "entrer en vigueur",  # from tomorrow on, or after a version to come
        "changed": "Modifié",
        "confirm": "Publier la version",
        "published": "a été publiée",
        "compare": "Comparer avec la version",
    },
    "en": {
        "kind": "admissibilite",
        "change": _a_year_less,
        "path": "rules.E4.max_years.permanent_resident.years",
        "rules": "Programme rules",
        "publish": "Publish a new version",
        "preview": "Preview the changes",
        "problem": "There is a problem",
        "retroactive": "take effect",
        "changed": "Changed",
        "confirm": "Publish version",
        "published": "was published",
        "compare": "Compare with version",
    },
}


def _shot(page: Page, language: str, name: str) -> None:
    if language == "fr":
        screenshot(page, name)


def _edit(page: Page, change: Callable[[dict[str, Any]], None]) -> None:
    document = json.loads(page.locator("#document").input_value())
    change(document)
    page.locator("#document").fill(json.dumps(document, ensure_ascii=False, indent=2))


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_administrator_previews_publishes_and_compares_a_version(
    page: Page, dev_system: ServiceProcesses, http: httpx.Client, language: str
) -> None:
    w = WORDS[language]
    kind = w["kind"]
    _sign_in(page, dev_system, ADMIN, language)
    page.goto(f"{dev_system.url('portal')}/administration")
    page.locator("main").get_by_role("link", name=w["rules"], exact=True).click()
    assert_accessible(page)
    _shot(page, language, "admin-rules")
    page.locator(f'a[href="/administration/regles/{kind}/versions/2020.1"]').click()
    expect(page.locator("main")).to_contain_text(w["path"])
    assert_accessible(page)

    page.goto(f"{dev_system.url('portal')}/administration/regles")
    page.locator(f'a[href="/administration/regles/{kind}/publier"]').click()
    assert_accessible(page)
    version = f"2090.{uuid.uuid4().hex[:6]}"
    page.locator("#version").fill(version)
    page.locator("#effective_from").fill(montreal_date(datetime.now(UTC)).isoformat())
    page.locator("#reason").fill("Révision annuelle" if language == "fr" else "Yearly review")
    _edit(page, w["change"])
    page.get_by_role("button", name=w["preview"]).click()
    expect(page.locator(".error-summary")).to_contain_text(w["problem"])
    expect(page.locator(".error-summary")).to_contain_text(w["retroactive"])
    expect(page.locator("#field-effective_from .field__error")).to_contain_text(w["retroactive"])
    assert_accessible(page)
    _shot(page, language, "admin-rules-error")

    page.locator("#effective_from").fill(next_date(http, dev_system, kind))
    page.get_by_role("button", name=w["preview"]).click()
    row = page.locator("#changes tbody tr", has_text=w["path"])
    expect(row).to_contain_text(w["changed"])
    assert_accessible(page)
    _shot(page, language, "admin-rules-preview")
    page.get_by_role("button", name=f"{w['confirm']} {version}").click()
    expect(page.get_by_role("status")).to_contain_text(w["published"])
    assert_accessible(page)

    page.get_by_role("link", name=w["compare"]).click()
    expect(page.locator("#changes tbody tr", has_text=w["path"])).to_contain_text(w["changed"])
    assert_accessible(page)
    _shot(page, language, "admin-rules-compare")
