"""The cross-tenant matrix (OWASP API1 and API5): every operation of every service, read from the
OpenAPI documents and filled with organization A's objects, called by each caller of
:data:`~tests.security.matrix.CALLERS` — organization B's staff and manager, a reviewer assigned
elsewhere, A's reviewer, an admin, A's staff and manager, no token, an expired token, a forged
signature, another issuer.

The cases run in order on one seeded world:

1. every caller not entitled to A's objects: 401, 403, or exactly what a missing object gets —
   never a 5xx, never any of A's ids or names in the answer (unless the caller sent it);
2. A's objects, read as an admin, are what they were before (no refused write wrote anything);
3. every entitled caller: reads answer 2xx (so the 404s of step 1 are not a wrong fill), writes
   are not refused (401, 403, 404) — destructive ones (merge, erasure) last.

An operation without a policy, or that the tests cannot fill, fails every one of its cases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.flow import Services
from tests.security.conftest import clients, live_documents
from tests.security.discovery import unknown_names
from tests.security.matrix import CALLERS, RULES, Caller, Expected, Outcome, expect
from tests.security.operations import (
    ID_NAMES,
    Filled,
    Operation,
    Unfillable,
    collected_documents,
    fill,
    missing,
    operations,
)
from tests.security.world import World, reviewer_known_everywhere

UNASSIGNS = ("DELETE", "/organizations/{organization_id}/reviewers/{reviewer_id}")

OPERATIONS = operations(collected_documents())
_TENANT_NAMES, _PROGRAM_NAMES = unknown_names(collected_documents())
_PLACEHOLDERS = {name: f"<{name}>" for name in (*ID_NAMES, *_TENANT_NAMES)}
LAST = ("/dismiss", "/merge", "/erase", "/retention/run")  # they take A's person away
# Reads left out of the before/after comparison, and why.
NOT_COMPARED: dict[tuple[str, str], str] = {}

# Real defects the matrix found, in files these tests do not own: (operation, caller) -> reason.
# strict: the case fails the day the defect is fixed, to remove the entry.
KNOWN: dict[tuple[str, str, str], str] = {}


def _shape(op: Operation) -> tuple[bool, bool, str | None]:
    """Does the filled request name A's objects in its path, in its body; or why it cannot be filled."""
    try:
        filled = fill(op, _PLACEHOLDERS, {name: f"<{name}>" for name in _PROGRAM_NAMES})
    except Unfillable as exc:
        return False, False, str(exc)
    in_body = any(v in str([filled.json_body, filled.data, filled.files]) for v in _PLACEHOLDERS.values())
    return filled.in_path, in_body, None


def _cases(entitled: bool) -> Iterator[Any]:
    ordered = (
        sorted(OPERATIONS, key=lambda o: (not o.is_read, any(o.path.endswith(s) for s in LAST)))
        if entitled
        else OPERATIONS
    )
    for op in ordered:
        in_path, in_body, unfillable = _shape(op)
        for caller in CALLERS:
            expected = expect(op, caller, in_path=in_path, in_body=in_body)
            if unfillable:
                expected = Expected(Outcome.UNFILLABLE, code=unfillable)
            if (expected.outcome is Outcome.ENTITLED) != entitled:
                continue
            reason = KNOWN.get((op.method, op.path, caller.name))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(op, caller, expected, id=f"{op.label}-{caller.name}", marks=marks)


REFUSED = list(_cases(entitled=False))
ENTITLED = list(_cases(entitled=True))


def send(world: World, op: Operation, filled: Filled, headers: dict[str, str]) -> Any:
    client = clients(world.services)[op.service]
    return client.request(filled.method, filled.url, headers=headers, **filled.kwargs())


def documented(op: Operation, response: Any) -> None:
    assert str(response.status_code) in op.spec["responses"], f"{op.label}: undocumented {response.text}"


def code_of(response: Any) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def _snapshot(world: World) -> dict[str, Any]:
    """A's objects as an admin reads them: every read naming one of A's objects in its path."""
    admin = world.admin
    taken: dict[str, Any] = {}
    for op in OPERATIONS:
        if op.key in NOT_COMPARED or not (op.is_read and _shape(op)[0]):
            continue
        if op.policy and op.policy.allows(_ADMIN.principal()):
            response = send(world, op, fill(op, world.ids, world.program), admin)
            taken[op.label] = (response.status_code, _without_own_reads(response))
    return taken


def _without_own_reads(response: Any) -> Any:
    """The answer, less the access-log lines of the snapshot's own reads (a person's export lists
    who read the file: the admin taking the snapshot, and nobody else)."""
    if "json" not in response.headers.get("content-type", ""):
        return response.text
    body = response.json()
    if isinstance(body, dict) and isinstance(body.get("access_log"), list):
        body["access_log"] = [e for e in body["access_log"] if e.get("actor") != _ADMIN.user_id]
    return body


_ADMIN = next(c for c in CALLERS if c.name == "admin")


@pytest.fixture(scope="module")
def before(world: World) -> dict[str, Any]:
    return _snapshot(world)


def test_the_matrix_has_every_operation_the_services_serve(services: Services) -> None:
    live = {(*o.key, o.service) for o in operations(live_documents(services))}
    assert live == {(*o.key, o.service) for o in OPERATIONS}
    assert len(OPERATIONS) >= 70


@pytest.mark.parametrize(("op", "caller", "expected"), REFUSED)
def test_refused(
    world: World,
    headers: dict[str, dict[str, str]],
    before: dict[str, Any],
    op: Operation,
    caller: Caller,
    expected: Expected,
) -> None:
    if expected.outcome in (Outcome.UNFILLABLE, Outcome.NO_POLICY):
        pytest.fail(f"{op.label}: {expected.outcome.value} {expected.code or ''}")
    filled = fill(op, world.ids, world.program)
    response = send(world, op, filled, headers[caller.name])
    status, code = response.status_code, code_of(response)
    assert status < 500, response.text
    documented(op, response)
    if expected.outcome in (Outcome.UNAUTHENTICATED, Outcome.FORBIDDEN, Outcome.NOT_FOUND):
        assert status == expected.status, response.text
    if expected.code is not None:
        assert code == expected.code, response.text
    if expected.outcome is Outcome.AS_MISSING:
        rule = RULES.get(op.key)
        assert status in (rule.as_missing if rule else frozenset({404, 422})), response.text
    if expected.as_missing:
        control = send(world, op, missing(filled, world.ids), headers[caller.name])
        assert (status, code) == (control.status_code, code_of(control)), "A's object is not as a missing one"
    if expected.outcome is Outcome.OWN:
        assert status != 401, response.text
    sent = filled.text()
    leaked = sorted(s for s in world.secrets if s in response.text and s not in sent)
    assert not leaked, f"{caller.name} sees A's {leaked} in {response.text[:500]}"


def test_nothing_of_a_changed_by_the_refused_calls(world: World, before: dict[str, Any]) -> None:
    after = _snapshot(world)
    changed = [label for label in before if before[label] != after.get(label)]
    for label in changed:
        print(label, "\nbefore:", before[label], "\nafter:", after.get(label))
    assert not changed, changed
    assert len(before) >= 20


@pytest.mark.parametrize(("op", "caller", "expected"), ENTITLED)
def test_entitled(
    world: World, headers: dict[str, dict[str, str]], op: Operation, caller: Caller, expected: Expected
) -> None:
    filled = fill(op, world.ids, world.program)
    response = send(world, op, filled, headers[caller.name])
    documented(op, response)
    if op.is_read:
        assert 200 <= response.status_code < 300, response.text
    else:
        assert response.status_code < 500, response.text
        assert response.status_code not in (401, 403, 404), response.text
    if op.key == UNASSIGNS:
        # The world's reviewer reads A's objects by its assignment (ADR 23): put it back before
        # the next case, whatever their order.
        assigned = world.services.reporting.put(filled.url, headers=world.admin)  # type: ignore[attr-defined]
        assert assigned.status_code == 204, assigned.text
        reviewer_known_everywhere(world.services, world.a)


def test_the_matrix_covers_every_operation_for_every_caller() -> None:
    cases = len(REFUSED) + len(ENTITLED)
    print(f"\ncross-tenant matrix: {len(OPERATIONS)} operations x {len(CALLERS)} callers = {cases} cases")
    assert cases == len(OPERATIONS) * len(CALLERS)
