"""The home page against the real services (processes, embedded mode), in-process and in
Chromium: this quarter's report card linking to the report, the flagged interventions linking to
the list filtered on them, the year's targets against achievements as a chart and its table, the
lock exceptions awaiting the ministry and the latest notices, each linking to its page, in French
and in English; the ministry's users get their notices."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from scripts.launcher import ServiceProcesses
from tests.portal.home_support import (
    EXCEPTION_REASON,
    MANAGER,
    REVIEWER,
    STAFF,
    Quarter,
    organization_quarter,
    previous_quarter,
)
from tests.portal.persons_support import api_token, portal_as, text_of
from tests.portal.support import ORG, PORT_SHIFT, assert_accessible, eventually, this_quarter, watch_csp

pytestmark = pytest.mark.portal

BASE_PORT = 19360 + PORT_SHIFT  # apart from the other portal tests' ports (18300, 18500, 19340)
CURRENT, PREVIOUS = this_quarter(), previous_quarter()
YEAR = f"{CURRENT.start_year}-{CURRENT.start_year + 1}"


@pytest.fixture(scope="module")
def quarter_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServiceProcesses, Quarter]]:
    with organization_quarter(tmp_path_factory.mktemp("portal-home"), BASE_PORT) as made:
        yield made


@pytest.fixture(scope="module")
def system(quarter_system: tuple[ServiceProcesses, Quarter]) -> ServiceProcesses:
    return quarter_system[0]


@pytest.fixture(scope="module")
def made(quarter_system: tuple[ServiceProcesses, Quarter]) -> Quarter:
    return quarter_system[1]


def notices_arrived(http: httpx.Client, system: ServiceProcesses, user_id: str) -> list[dict[str, str]]:
    """The user's notices once the previous quarter's acceptance and lock have sent theirs."""
    headers = api_token(http, system, user_id)
    url = f"{system.url('notifications')}/inbox"
    return list(
        eventually(
            lambda: (items := http.get(url, headers=headers).json()["items"]) and items,
            what="the notices of the previous quarter",
        )
    )


def test_staff_see_their_quarter_the_flagged_targets_exceptions_and_notices_in_french(
    system: ServiceProcesses, made: Quarter, http: httpx.Client
) -> None:
    notices = notices_arrived(http, system, STAFF)
    with portal_as(system, STAFF) as karine:
        page = karine.get("/")
    assert page.status_code == 200, page.text
    html, words = page.text, text_of(page.text)
    # The report card links to the report.
    assert f'<a href="/rapports/{ORG}/{CURRENT}">Rapport trimestriel' in html
    assert "Ouvrir le rapport de ce trimestre" in words
    # One flagged intervention (C5, an error), linked to the list filtered on it; no warning.
    link = f"/interventions?quarter={CURRENT}&amp;severity=error&amp;status=active"
    assert re.search(rf'1</span>\s*<a href="{re.escape(link)}">intervention avec une erreur</a>', html)
    assert "0 intervention avec un avertissement" in words
    assert "severity=warning" not in html  # nothing to list
    # The year to date against the year's targets: the table, and the chart's bars.
    assert f"Cibles et réalisations, exercice {YEAR}" in words
    for row in (
        "Personnes servies 2 4 50 %",
        "Plans d'action ouverts 1 2 50 %",
        "Interventions, tous codes 2 7 28,6 %",
        "Interventions ACC 1 3 33,3 %",
        "Interventions SUI 1 4 25 %",
    ):
        assert row in words, row
    assert 'class="bar-chart__fill" x="0" y="0" width="28.6%"' in html
    assert html.count('class="bar-chart__row"') == 5
    # The lock exception awaiting the ministry, linked to its page.
    assert (
        f'<a href="/exceptions-verrouillage/{made.exception}">T{PREVIOUS.number} '
        f"{PREVIOUS.start_year}-{PREVIOUS.start_year + 1}, demandée le" in html
    )
    assert EXCEPTION_REASON in words
    # The latest notices, each linked to its notice's page.
    assert f'<a href="/avis/{notices[0]["notice_id"]}">' in html
    assert notices[0]["title_fr"] in words


def test_the_home_makes_six_calls_then_five_while_the_sessions_unread_count_is_fresh(
    system: ServiceProcesses, made: Quarter
) -> None:
    """The flagged counts come in one call (interventions' summary); the header's unread count
    is asked once and reused a few seconds by the same session (portal.unread)."""
    with portal_as(system, STAFF) as karine:
        first, again = karine.get("/"), karine.get("/")
    calls = [re.search(r'desc="(\d+) calls', p.headers["server-timing"]) for p in (first, again)]
    assert [int(c[1]) for c in calls if c] == [6, 5]  # seven before: two list calls for the counts
    badge, kept = (re.search(r'<span class="badge"[^>]*>(\d+)</span>', p.text) for p in (first, again))
    assert (badge[1] if badge else None) == (kept[1] if kept else None)


def test_the_flagged_link_lists_the_flagged_intervention_only(
    system: ServiceProcesses, made: Quarter
) -> None:
    with portal_as(system, STAFF) as karine:
        home = karine.get("/").text
        link = re.search(r'href="(/interventions\?quarter=[^"]+severity=error[^"]*)"', home)
        assert link
        listed = text_of(karine.get(link[1].replace("&amp;", "&")).text)
    assert made.flagged in listed
    assert made.clean not in listed
    assert "1 intervention" in listed


def test_the_same_home_in_english(system: ServiceProcesses, made: Quarter, http: httpx.Client) -> None:
    notices = notices_arrived(http, system, MANAGER)
    with portal_as(system, MANAGER, language="en") as sophie:
        page = sophie.get("/")
    words = text_of(page.text)
    assert f"Quarterly report: Q{CURRENT.number}" in words
    assert "Open this quarter's report" in words
    assert "1 intervention with an error" in words
    assert "0 interventions with a warning" in words
    assert f"Targets and achievements, fiscal year {YEAR}" in words
    assert "Interventions, all codes 2 7 28.6%" in words
    assert "Persons served 2 4 50%" in words
    assert "Lock exceptions awaiting the ministry" in words
    assert f"Q{PREVIOUS.number} {PREVIOUS.start_year}-{PREVIOUS.start_year + 1}, requested on" in words
    assert notices[0]["title_en"] in words
    assert "Cibles" not in words


def test_the_ministry_gets_its_notices_and_no_organization_card(system: ServiceProcesses) -> None:
    with portal_as(system, REVIEWER) as nadia:
        page = nadia.get("/")
    assert page.status_code == 200, page.text
    words = text_of(page.text)
    assert "Derniers avis" in words
    for organization_only in ("Rapport trimestriel", "Interventions signalées", "Cibles et réalisations"):
        assert organization_only not in words


def test_the_home_in_chromium_is_accessible_and_the_chart_breaks_no_policy(
    page: Page, system: ServiceProcesses
) -> None:
    refused = watch_csp(page)
    page.goto(f"{system.url('portal')}/signin")
    page.get_by_role("button", name=re.compile("karine", re.IGNORECASE)).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")
    chart = page.locator(".bar-chart")
    expect(chart).to_be_visible()
    # The bar of 28.6 % is drawn 28.6 % as wide as its track (SVG attributes, no inline style).
    track = page.locator(".bar-chart__row", has_text="tous codes").locator(".bar-chart__track").bounding_box()
    fill = page.locator(".bar-chart__row", has_text="tous codes").locator(".bar-chart__fill").bounding_box()
    assert track
    assert fill
    assert fill["width"] / track["width"] == pytest.approx(0.286, abs=0.01)
    expect(page.get_by_role("table", name=re.compile("par rapport aux cibles"))).to_be_visible()
    assert_accessible(page)
    assert refused == []
