"""What the persons pages' tests share: the portal in-process against the running services,
signed in as a demo user, and persons made through registration's API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi.testclient import TestClient

from portal.bootstrap import build_app
from portal.settings import DevUser, PortalSettings
from scripts.demo_plan import USERS
from scripts.launcher import SERVICES, ServiceProcesses

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found[1]


@contextmanager
def portal_as(system: ServiceProcesses, user_id: str, language: str = "fr") -> Iterator[TestClient]:
    """The portal built here (its routes in this process), the services running, signed in."""
    settings = PortalSettings(
        auth_mode="development",
        dev_users=[DevUser(**u) for u in USERS],
        **{f"{s}_url": system.url(s) for s in SERVICES},  # type: ignore[arg-type]
    )
    with TestClient(build_app(settings), follow_redirects=False) as client:
        token = csrf_of(client.get("/signin").text)
        if language != "fr":
            client.post("/language", data={"language": language, "csrf_token": token})
        signed = client.post("/signin/dev", data={"user_id": user_id, "csrf_token": token})
        assert signed.status_code == 303, signed.text
        yield client


def api_token(http: httpx.Client, system: ServiceProcesses, user_id: str) -> dict[str, str]:
    user = next(u for u in USERS if u["user_id"] == user_id)
    body = {**user, "assigned_organizations": user.get("assigned_organizations", [])}
    answer = http.post(f"{system.url('registration')}/dev/token", json=body)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def assign_reviewer(http: httpx.Client, system: ServiceProcesses, organization: str, reviewer: str) -> None:
    """``reviewer`` assigned to ``organization`` in reporting's registry, which every service
    follows (ADR 23): the token's claim no longer says it."""
    admin = api_token(http, system, "admin@mifi")
    url = f"{system.url('reporting')}/organizations/{organization}/reviewers/{reviewer}"
    answer = http.put(url, headers=admin)
    assert answer.status_code < 300, answer.text


def person_body(family_name: str, given_name: str, **more: Any) -> dict[str, Any]:
    return {
        "family_name": family_name,
        "given_name": given_name,
        "birth_date": "1988-07-14",
        "sex": "F",
        "country_of_birth": "CO",
        "status": {
            "status": "permanent_resident",
            "effective_from": "2025-02-03",
            "admission_date": "2025-02-03",
        },
        "address": {"region": "06", "municipality": "Montréal", "postal_code": "H2X 1Y4"},
        "consents": ["service_delivery", "ministry_reporting"],
        **more,
    }


def register(
    http: httpx.Client, system: ServiceProcesses, headers: dict[str, str], body: dict[str, Any]
) -> str:
    answer = http.post(f"{system.url('registration')}/persons", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["person_id"])


def registration_form(client: TestClient, **fields: Any) -> dict[str, Any]:
    """The registration page's form, as a person would fill it (the page's own tokens)."""
    page = client.get("/personnes/nouvelle")
    assert page.status_code == 200, page.text
    submission = re.search(r'name="submission" value="([^"]+)"', page.text)
    assert submission
    return {
        "csrf_token": csrf_of(page.text),
        "submission": submission[1],
        "family_name": "",
        "given_name": "",
        "birth_date": "1990-05-01",
        "sex": "F",
        "country_of_birth": "SY",
        "languages": ["ar", "fr"],
        "french_level": "beginner",
        "status": "government_assisted_refugee",
        "effective_from": "2026-01-15",
        "admission_date": "2026-01-15",
        "expires_on": "",
        "uci": "",
        "email": "",
        "phone": "",
        "street": "12 rue King Ouest",
        "municipality": "Sherbrooke",
        "postal_code": "J1H 1N9",
        "region": "",
        "region_auto": "",
        "consents": ["service_delivery", "ministry_reporting"],
        **fields,
    }


def text_of(html: str) -> str:
    """The page's words, without its tags (what a person reads)."""
    without_tags = re.sub(r"<[^>]+>", " ", html)
    return " ".join(without_tags.replace("&#39;", "'").replace("&amp;", "&").split())
