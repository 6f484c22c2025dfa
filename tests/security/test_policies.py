"""Authorization written once (OWASP API5): every operation of every service declares exactly one
access policy — roles, and the scope of the objects they may touch — in its route and in its
OpenAPI document; and the policies mean what they say."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gsi_kernel.auth import Principal, Role
from gsi_kernel.errors import Forbidden, NotFound
from gsi_kernel.http import policy
from gsi_kernel.http.policy import OPENAPI_KEY, Policy, Scope, in_scope, organizations_in_scope
from gsi_kernel.http.security import operation_policies, require_roles, requires
from tests.in_process import MODULES
from tests.security.operations import SERVICES, SKIPPED_PATHS


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data_dir: Path = tmp_path_factory.mktemp("policies")
    return {
        name: module.build_app(module.build(settings(data_dir=data_dir)))
        for name, (module, settings) in zip(SERVICES, MODULES, strict=True)
    }


def test_every_operation_of_every_service_declares_one_policy(apps: dict[str, Any]) -> None:
    undeclared, counted = [], 0
    for name, app in apps.items():
        for op in operation_policies(app):
            if op.path in SKIPPED_PATHS:
                assert not op.policies, f"{name} {op.method} {op.path} is public and declares a policy"
                continue
            counted += 1
            if op.policy is None:
                undeclared.append(f"{name} {op.method} {op.path}: {[p.name for p in op.policies]}")
    assert not undeclared, "no policy, or several that disagree:\n" + "\n".join(undeclared)
    assert counted >= 70


def test_the_openapi_documents_publish_each_operations_policy(apps: dict[str, Any]) -> None:
    for app in apps.values():
        document = app.openapi()
        for op in operation_policies(app):
            if op.path in SKIPPED_PATHS:
                continue
            published = document["paths"][op.path][op.method.lower()][OPENAPI_KEY]
            assert op.policy is not None
            assert Policy.from_openapi(published) == op.policy
            assert published["description"]["fr"].startswith("Rôles :")


A, B = "org-a", "org-b"
STAFF_A = Principal("s", frozenset({Role.ORG_STAFF}), A)
MANAGER_B = Principal("m", frozenset({Role.ORG_MANAGER}), B)
REVIEWER_A = Principal("r", frozenset({Role.MINISTRY_REVIEWER}), assigned_organizations=frozenset({A}))
REVIEWER_B = Principal("q", frozenset({Role.MINISTRY_REVIEWER}), assigned_organizations=frozenset({B}))
ADMIN = Principal("x", frozenset({Role.ADMIN}))
# An organization claim on a reviewer's token gives no reach as a member of that organization.
REVIEWER_WITH_ORG = Principal("z", frozenset({Role.MINISTRY_REVIEWER}), A)


@pytest.mark.parametrize(
    ("principal", "scope", "expected"),
    [
        (STAFF_A, Scope.OWN_ORGANIZATION, True),
        (MANAGER_B, Scope.OWN_ORGANIZATION, False),
        (REVIEWER_A, Scope.OWN_ORGANIZATION, False),
        (ADMIN, Scope.OWN_ORGANIZATION, False),
        (STAFF_A, Scope.READABLE_ORGANIZATIONS, True),
        (MANAGER_B, Scope.READABLE_ORGANIZATIONS, False),
        (REVIEWER_A, Scope.READABLE_ORGANIZATIONS, True),
        (REVIEWER_B, Scope.READABLE_ORGANIZATIONS, False),
        (REVIEWER_WITH_ORG, Scope.READABLE_ORGANIZATIONS, False),
        (ADMIN, Scope.READABLE_ORGANIZATIONS, True),
        (STAFF_A, Scope.ASSIGNED_ORGANIZATIONS, False),
        (REVIEWER_A, Scope.ASSIGNED_ORGANIZATIONS, True),
        (REVIEWER_B, Scope.ASSIGNED_ORGANIZATIONS, False),
        (ADMIN, Scope.ASSIGNED_ORGANIZATIONS, True),
        (MANAGER_B, Scope.PROGRAM, True),
    ],
)
def test_a_scope_reaches_the_organizations_it_says(
    principal: Principal, scope: Scope, expected: bool
) -> None:
    assert in_scope(principal, A, scope) is expected
    visible = organizations_in_scope(principal, scope)
    assert (visible is None or A in visible) is expected


@pytest.mark.parametrize(
    ("roles", "scope", "expected"),
    [
        ((Role.ORG_MANAGER, Role.ORG_STAFF), None, policy.ORG_USER),
        ((Role.ORG_MANAGER,), None, policy.ORG_MANAGER),
        ((Role.ADMIN,), None, policy.ADMIN),
        ((Role.ADMIN, Role.MINISTRY_REVIEWER), None, policy.MINISTRY),
        (tuple(Role), None, policy.READER),
        (
            (Role.ADMIN,),
            Scope.READABLE_ORGANIZATIONS,
            Policy("admin", (Role.ADMIN,), Scope.READABLE_ORGANIZATIONS),
        ),
    ],
)
def test_roles_imply_their_policy(roles: tuple[Role, ...], scope: Scope | None, expected: Policy) -> None:
    found = policy.policy_for(roles, scope)
    assert (found.roles, found.scope) == (expected.roles, expected.scope)


def test_one_policy_is_one_dependency_whatever_the_order_of_its_roles() -> None:
    assert require_roles(Role.ORG_MANAGER, Role.ORG_STAFF) is requires(policy.ORG_USER)
    assert require_roles(Role.ADMIN, Role.MINISTRY_REVIEWER) is requires(policy.MINISTRY)


def test_an_object_out_of_scope_is_its_own_not_found() -> None:
    gone = NotFound("person.not_found", "Personne introuvable.", "Person not found.")
    policy.require_in_scope(REVIEWER_A, A, Scope.READABLE_ORGANIZATIONS, gone)
    with pytest.raises(NotFound) as raised:
        policy.require_in_scope(REVIEWER_B, A, Scope.READABLE_ORGANIZATIONS, gone)
    assert raised.value is gone


def test_a_write_takes_the_organization_from_the_token_only() -> None:
    assert policy.own_organization(STAFF_A) == A
    with pytest.raises(Forbidden) as raised:
        policy.own_organization(ADMIN)
    assert raised.value.code == "auth.no_organization"
