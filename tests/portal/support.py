"""What the portal's tests share: data made through the services' APIs, axe-core on a page,
and the page's Content-Security-Policy reports."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import axe_playwright_python
import httpx
from playwright.sync_api import Page

from gsi_kernel.clock import montreal_date
from gsi_kernel.fiscal import FiscalQuarter
from scripts.launcher import ServiceProcesses

ORG = "org-sherbrooke"
AXE_JS = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
BLOCKING = ("serious", "critical")


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
    person = {
        "family_name": "Haddad",
        "given_name": "Amina",
        "birth_date": "1984-03-12",
        "sex": "F",
        "country_of_birth": "SY",
        "status": {
            "status": "government_assisted_refugee",
            "effective_from": "2026-01-15",
            "admission_date": "2026-01-15",
        },
        "address": {"region": "05", "municipality": "Sherbrooke"},
        "consents": ["service_delivery", "ministry_reporting"],
    }
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
