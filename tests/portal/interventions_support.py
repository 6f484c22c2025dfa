"""What the interventions, plans and imports pages' tests share: persons registered through the
API and known to interventions, a page's form tokens, and the rule that no id reaches the text."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi.testclient import TestClient

from gsi_kernel.clock import montreal_date
from scripts.launcher import ServiceProcesses
from tests.portal.persons_support import api_token, csrf_of, person_body, register, text_of
from tests.portal.support import eventually

STAFF = "karine@org-sherbrooke"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def today() -> str:
    return montreal_date(datetime.now(UTC)).isoformat()


def unique(name: str) -> str:
    """A family name no other test uses (the services run for the whole session)."""
    letters = "".join(chr(ord("a") + int(c, 16) % 26) for c in uuid.uuid4().hex[:6])
    return f"{name}{letters}"


def known_person(
    http: httpx.Client, system: ServiceProcesses, family: str, given: str = "Lucia", **more: Any
) -> str:
    """A person registered by the staff member's organization, once interventions knows them."""
    headers = api_token(http, system, STAFF)
    person_id = register(http, system, headers, person_body(family, given, **more))

    def known() -> bool:
        body = {
            "person_id": person_id,
            "code": "PDI",
            "service_date": today(),
            "duration_minutes": 30,
            "mode": "in_person",
            "volet": "V1",
            "staff_member": "karine",
        }
        answer = http.post(f"{system.url('interventions')}/interventions/checks", headers=headers, json=body)
        return answer.status_code == 200 and answer.json()["outcome"] != "refused"

    eventually(known, what="interventions learns of the person")
    return person_id


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden {name}"
    return found[1]


def form_of(client: TestClient, path: str, **fields: Any) -> dict[str, Any]:
    """A page's form as a person fills it: its CSRF and submission tokens, then ``fields``."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    tokens = {"csrf_token": csrf_of(page.text)}
    if 'name="submission"' in page.text:
        tokens["submission"] = hidden(page.text, "submission")
    return {**tokens, **fields}


def assert_no_id_shown(html: str) -> None:
    """Persons and interventions appear by name, date and code: no id in what is read."""
    assert not UUID.search(text_of(html)), UUID.search(text_of(html))
