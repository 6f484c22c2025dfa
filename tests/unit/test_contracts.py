"""The published contracts: documented, complete, and free of personal data."""

from __future__ import annotations

from gsi_contracts import catalog, registration
from scripts.contracts import TARGET, render


def test_the_committed_contract_document_is_up_to_date() -> None:
    assert TARGET.read_text(encoding="utf-8") == render(), "run `make contracts` and commit the result"


def test_every_contract_is_registered_under_a_unique_namespaced_type() -> None:
    registry = catalog.registry()
    types = [c.event_type for contracts in catalog.BY_TOPIC.values() for c in contracts]
    assert len(types) == len(set(types))
    assert all("." in t and registry.knows(t) for t in types)


def test_registration_publishes_no_name_or_contact() -> None:
    fields = set(registration.PersonRegistered.model_fields)
    assert not fields & {"family_name", "given_name", "email", "phone", "address", "uci"}
