"""The person the tests register: a government-assisted refugee in Estrie, eligible for every
volet (one body for every tier, changed where a test needs another)."""

from __future__ import annotations

from typing import Any


def refugee(family_name: str = "Haddad", given_name: str = "Amina", **changes: Any) -> dict[str, Any]:
    return {
        "family_name": family_name,
        "given_name": given_name,
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
        **changes,
    }
