"""Demo data for the embedded mode, from the user journeys (docs: ../shared/docs/journeys.md):
three organizations, their users, a few persons and interventions. Seeded over HTTP, like a
user would, and only once (a marker file in the data folder)."""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from scripts.launcher import ServiceProcesses, get_json, post_json

ORGANIZATIONS = {
    "org-montreal": ("Accueil Montréal", "06"),
    "org-sherbrooke": ("Intégration Estrie", "05"),
    "org-quebec": ("Carrefour Québec", "03"),
}

USERS: list[dict[str, Any]] = [
    {"user_id": "karine@org-sherbrooke", "roles": ["org_staff"], "organization": "org-sherbrooke"},
    {"user_id": "sophie@org-sherbrooke", "roles": ["org_manager"], "organization": "org-sherbrooke"},
    {"user_id": "marc@org-montreal", "roles": ["org_staff"], "organization": "org-montreal"},
    {"user_id": "julie@org-quebec", "roles": ["org_manager"], "organization": "org-quebec"},
    {
        "user_id": "nadia@mifi",
        "roles": ["ministry_reviewer"],
        "assigned_organizations": sorted(ORGANIZATIONS),
    },
    {"user_id": "admin@mifi", "roles": ["admin"]},
]

FAMILY = ["Haddad", "Nguyen", "Traoré", "Martínez", "Okafor", "Kowalski", "Rahimi", "Diallo", "Silva", "Chen"]
GIVEN = ["Amina", "Yusuf", "Linh", "Mariam", "Carlos", "Ngozi", "Anna", "Reza", "Fatou", "Wei"]
STATUSES = [
    "permanent_resident",
    "government_assisted_refugee",
    "protected_person",
    "asylum_claimant",
    "temporary_worker",
]
COUNTRIES = ["SY", "VN", "ML", "CO", "NG", "UA", "AF", "SN", "BR", "CN"]
CODES = [("ACC", "V1"), ("PDI", "V2"), ("EVB", "V1"), ("SIC", "V2")]


def tokens(services: ServiceProcesses) -> dict[str, str]:
    issuer = services.url("registration")
    minted = {}
    for user in USERS:
        status, body = post_json(f"{issuer}/dev/token", {**user, "ttl_minutes": 8 * 60})
        if status != 200:
            raise RuntimeError(f"could not mint a token for {user['user_id']}: {status} {body}")
        minted[user["user_id"]] = body["access_token"]
    return minted


def seed(services: ServiceProcesses, data_dir: Path, today: date, persons_per_org: int = 8) -> bool:
    """Seed once; return False if the data folder was already seeded."""
    marker = data_dir / "demo-seeded"
    if marker.exists():
        return False
    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    minted = tokens(services)
    for org in ORGANIZATIONS:
        staff = next(u["user_id"] for u in USERS if u.get("organization") == org)
        headers = {"Authorization": f"Bearer {minted[staff]}"}
        for i in range(persons_per_org):
            person_id = _register(services, headers, org, rng, today, i)
            _declare(services, headers, person_id, rng, today, staff)
    marker.write_text(today.isoformat())
    return True


def _register(
    services: ServiceProcesses, headers: dict[str, str], org: str, rng: random.Random, today: date, i: int
) -> str:
    since = (today - timedelta(days=rng.randint(10, 600))).isoformat()
    body = {
        "family_name": FAMILY[(i + len(org)) % len(FAMILY)],
        "given_name": GIVEN[i % len(GIVEN)],
        "birth_date": (today - timedelta(days=rng.randint(19 * 365, 60 * 365))).isoformat(),
        "sex": rng.choice(["F", "M"]),
        "country_of_birth": rng.choice(COUNTRIES),
        "languages": ["fr"] if i % 3 == 0 else ["en"],
        "status": {"status": rng.choice(STATUSES), "effective_from": since, "admission_date": since},
        "address": {"region": ORGANIZATIONS[org][1]},
        "consents": ["service_delivery", "ministry_reporting"],
    }
    status, created = post_json(f"{services.url('registration')}/persons", body, headers)
    if status != 201:
        raise RuntimeError(f"seeding a person failed: {status} {created}")
    return str(created["person_id"])


def _declare(
    services: ServiceProcesses,
    headers: dict[str, str],
    person_id: str,
    rng: random.Random,
    today: date,
    staff: str,
) -> None:
    code, volet = rng.choice(CODES)
    body = {
        "person_id": person_id,
        "code": code,
        # Persons are registered today, and no service may predate a registration.
        "service_date": today.isoformat(),
        "duration_minutes": rng.choice([30, 45, 60, 90]),
        "mode": "in_person",
        "volet": volet,
        "staff_member": staff,
    }
    deadline = time.monotonic() + 30
    while True:  # interventions learns of the person from the bus, a moment after registration
        status, created = post_json(f"{services.url('interventions')}/interventions", body, headers)
        if status == 201:
            return
        if status != 422 or time.monotonic() > deadline:
            raise RuntimeError(f"seeding an intervention failed: {status} {created}")
        time.sleep(0.1)


def summary(services: ServiceProcesses) -> Any:
    return get_json(f"{services.url('registration')}/health")
