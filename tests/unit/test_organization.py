"""The organization registry's decisions: what is accepted, normalized, refused with which code,
and the reviewer assignments kept on the organization's stream."""

from __future__ import annotations

from typing import Any

import pytest

from gsi_kernel.errors import Conflict, GsiError, InvalidInput, NotFound
from gsi_kernel.events import DomainEvent
from reporting.organizations import domain as organization
from reporting.organizations.domain import (
    Contact,
    Description,
    OrganizationRegistered,
    OrganizationUpdated,
    ReviewerAssigned,
    ReviewerUnassigned,
)

ORG = "org-sherbrooke"
SOPHIE = Contact(name="Sophie Tremblay", email="sophie@org-sherbrooke.ca", role="coordination", language="fr")


def described(**changes: Any) -> Description:
    values: dict[str, Any] = {"name": "SANC Sherbrooke", "regions": ("05",), "contacts": (SOPHIE,), **changes}
    return Description(**values)


def registered(**changes: Any) -> list[DomainEvent]:
    return organization.register([], organization_id=ORG, description=described(**changes))


def test_registering_normalizes_names_regions_and_contacts() -> None:
    messy = Contact(name=" Sophie ", email=" sophie@org-sherbrooke.ca ", role=" coordination ", language="en")
    (event,) = registered(name="  SANC Sherbrooke ", regions=("16", "05", "16"), contacts=(messy,))
    assert event == OrganizationRegistered(
        organization_id=ORG,
        name="SANC Sherbrooke",
        regions=("05", "16"),
        contacts=(
            Contact(name="Sophie", email="sophie@org-sherbrooke.ca", role="coordination", language="en"),
        ),
    )


@pytest.mark.parametrize(
    ("organization_id", "changes", "code"),
    [
        ("Org Sherbrooke", {}, "organization.invalid_id"),
        ("org-", {}, "organization.invalid_id"),
        ("ab", {}, "organization.invalid_id"),
        (ORG, {"name": "   "}, "organization.invalid_name"),
        (ORG, {"regions": ()}, "organization.no_region"),
        (ORG, {"regions": ("18",)}, "organization.invalid_region"),
        (ORG, {"regions": ("5",)}, "organization.invalid_region"),
        (
            ORG,
            {"contacts": (SOPHIE.model_copy(update={"email": "sophie.org-sherbrooke.ca"}),)},
            "organization.invalid_email",
        ),
        (
            ORG,
            {"contacts": (SOPHIE.model_copy(update={"email": "sophie@localhost"}),)},
            "organization.invalid_email",
        ),
        (
            ORG,
            {"contacts": (SOPHIE.model_copy(update={"email": "so phie@x.ca"}),)},
            "organization.invalid_email",
        ),
        (ORG, {"contacts": (SOPHIE.model_copy(update={"language": "es"}),)}, "organization.invalid_language"),
        (ORG, {"contacts": (SOPHIE.model_copy(update={"role": ""}),)}, "organization.invalid_contact"),
        (
            ORG,
            {"contacts": (SOPHIE, SOPHIE.model_copy(update={"email": "SOPHIE@org-sherbrooke.ca"}))},
            "organization.duplicate_contact",
        ),
    ],
)
def test_bad_registrations_are_refused_with_a_code(
    organization_id: str, changes: dict[str, Any], code: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        organization.register([], organization_id=organization_id, description=described(**changes))
    assert raised.value.code == code
    assert raised.value.fr != raised.value.en


def test_an_organization_is_registered_once() -> None:
    with pytest.raises(Conflict) as raised:
        organization.register(registered(), organization_id=ORG, description=described())
    assert raised.value.code == "organization.exists"


def test_an_update_carries_the_full_new_description_and_its_reason() -> None:
    history = registered()
    (event,) = organization.update(history, regions=["05", "16"], reason="Nouveau point de service à Granby")
    assert isinstance(event, OrganizationUpdated)
    assert (event.name, event.regions, event.contacts) == ("SANC Sherbrooke", ("05", "16"), (SOPHIE,))
    assert event.reason == "Nouveau point de service à Granby"
    state = organization.fold([*history, event])
    assert state is not None
    assert state.description.regions == ("05", "16")


def test_an_update_that_changes_nothing_records_nothing() -> None:
    assert (
        organization.update(registered(), name=" SANC Sherbrooke ", regions=["05"], reason="Relecture") == []
    )


@pytest.mark.parametrize(
    ("history", "changes", "error", "code"),
    [
        ([], {"reason": "x"}, NotFound, "organization.not_found"),
        (None, {"reason": "  "}, InvalidInput, "organization.reason_required"),
        (None, {"regions": ["99"], "reason": "x"}, InvalidInput, "organization.invalid_region"),
    ],
)
def test_bad_updates_are_refused(
    history: list[DomainEvent] | None, changes: dict[str, Any], error: type[GsiError], code: str
) -> None:
    with pytest.raises(error) as raised:
        organization.update(registered() if history is None else history, **changes)
    assert raised.value.code == code


def test_reviewers_are_assigned_once_and_removed() -> None:
    history = registered()
    assigned = organization.assign_reviewer(history, reviewer_id="nadia")
    assert assigned == [ReviewerAssigned(organization_id=ORG, reviewer_id="nadia")]
    history += assigned
    assert organization.assign_reviewer(history, reviewer_id="nadia") == []  # idempotent
    removed = organization.unassign_reviewer(history, reviewer_id="nadia", reason="Réaffectation")
    assert removed == [ReviewerUnassigned(organization_id=ORG, reviewer_id="nadia", reason="Réaffectation")]
    state = organization.fold([*history, *removed])
    assert state is not None
    assert state.reviewers == frozenset()


@pytest.mark.parametrize(
    ("action", "error", "code"),
    [
        (lambda h: organization.unassign_reviewer(h, reviewer_id="nadia"), NotFound, "reviewer.not_assigned"),
        (lambda h: organization.assign_reviewer(h, reviewer_id="  "), InvalidInput, "reviewer.invalid_id"),
        (
            lambda _h: organization.assign_reviewer([], reviewer_id="nadia"),
            NotFound,
            "organization.not_found",
        ),
    ],
)
def test_bad_assignments_are_refused(action: Any, error: type[GsiError], code: str) -> None:
    with pytest.raises(error) as raised:
        action(registered())
    assert raised.value.code == code


def test_an_update_keeps_the_assigned_reviewers() -> None:
    history = [*registered(), ReviewerAssigned(organization_id=ORG, reviewer_id="nadia")]
    history += organization.update(history, name="SANC", reason="Nouveau nom")
    state = organization.fold(history)
    assert state is not None
    assert (state.description.name, state.reviewers) == ("SANC", frozenset({"nadia"}))
