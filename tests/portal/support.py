"""What the portal's tests share: data made through the services' APIs, axe-core on a page,
and the page's Content-Security-Policy reports."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import axe_playwright_python
import httpx
from playwright.sync_api import FloatRect, Page

from gsi_kernel.clock import montreal_date
from gsi_kernel.fiscal import FiscalQuarter
from scripts.launcher import ServiceProcesses
from tests.people import refugee

ORG = "org-sherbrooke"
AXE_JS = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
BLOCKING = ("serious", "critical")

# Several portal test runs on one machine (e.g. two people's) each set their own shift of the
# ports the services and the portal listen on; Keycloak's portal port stays (the realm names it).
PORT_SHIFT = int(os.environ.get("GSI_TEST_PORT_SHIFT", "0"))
T = TypeVar("T")


def run_async(work: Coroutine[Any, Any, T]) -> T:
    """``work`` on an event loop of its own: once a browser test has started Playwright's sync
    driver, it keeps an event loop running in this thread, and ``asyncio.run`` refuses."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, work).result()


def this_quarter() -> FiscalQuarter:
    return FiscalQuarter.of(montreal_date(datetime.now(UTC)))


def eventually(check: Any, *, what: str, timeout_s: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while (result := check()) is None or result is False:
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        time.sleep(0.2)
    return result


def declare_one_intervention(http: httpx.Client, system: ServiceProcesses, headers: dict[str, str]) -> None:
    """A person registered and one intervention declared today, through the APIs; returns once
    reporting counts it (the home page's report card reads reporting)."""
    today = montreal_date(datetime.now(UTC))
    person = refugee()
    registered = http.post(f"{system.url('registration')}/persons", headers=headers, json=person)
    assert registered.status_code == 201, registered.text
    declaration = {
        "person_id": registered.json()["person_id"],
        "code": "ACC",
        "service_date": today.isoformat(),
        "duration_minutes": 60,
        "mode": "in_person",
        "volet": "V1",
        "staff_member": "karine",
    }

    def declared() -> bool:
        answer = http.post(f"{system.url('interventions')}/interventions", headers=headers, json=declaration)
        return answer.status_code == 201  # until interventions learns of the person: 4xx

    eventually(declared, what="interventions learns of the person")
    report = f"{system.url('reporting')}/reports/{ORG}/{this_quarter()}"

    def counted() -> bool:
        return bool(http.get(report, headers=headers).json().get("interventions_count") == 1)

    eventually(counted, what="reporting counts the intervention")


def assert_accessible(page: Page) -> None:
    """axe-core on the page as it is: no serious or critical violation. (Evaluated through the
    browser's debugging protocol, so the page's strict CSP needs no exception for it.)"""
    page.evaluate(AXE_JS)
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    blocking = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in BLOCKING
    ]
    assert not blocking, f"{page.url}: " + "; ".join(blocking)


def watch_csp(page: Page) -> list[str]:
    """The page's console messages reporting something the CSP refused (filled as it runs)."""
    refused: list[str] = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return refused


SHOTS = Path(__file__).resolve().parents[2] / "docs" / "portal"
SHOT_WIDTH = 1280  # the README's pictures: one width, whatever the test's window
SHOT_MAX_HEIGHT = 2400  # a longer page is cut there (its top says what it is)
SHOT_MAX_BYTES = 250_000


def screenshot(page: Page, name: str) -> bytes:
    """The page as seen, 1280 pixels wide, whole (to 2400 pixels high), as PNG; saved to
    docs/portal/<name>.png for the README with GSI_PORTAL_SCREENSHOTS=1. A picture heavier than
    250 kB is taken again, cut shorter in proportion (the page's top says what it is)."""
    window = page.viewport_size
    if window is None or window["width"] != SHOT_WIDTH:
        page.set_viewport_size({"width": SHOT_WIDTH, "height": window["height"] if window else 800})
    cut = min(int(page.evaluate("document.documentElement.scrollHeight")), SHOT_MAX_HEIGHT)
    for _attempt in range(3):
        clip: FloatRect = {"x": 0, "y": 0, "width": SHOT_WIDTH, "height": cut}
        png = page.screenshot(full_page=True, clip=clip, animations="disabled", caret="hide")
        if len(png) <= SHOT_MAX_BYTES:
            break
        cut = int(cut * SHOT_MAX_BYTES / len(png) * 0.95)
    assert len(png) <= SHOT_MAX_BYTES, f"{name}.png: {len(png)} bytes"
    if os.environ.get("GSI_PORTAL_SCREENSHOTS") == "1":
        (SHOTS / f"{name}.png").write_bytes(png)
    return png
