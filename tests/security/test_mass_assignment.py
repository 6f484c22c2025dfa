"""No mass assignment (OWASP API3): a client never sets what the server owns — organization,
status or state, version, author, lock — on any write of any service.

* JSON bodies: every object a body schema describes refuses unknown fields
  (``additionalProperties: false``), and a write sent with the server's fields added is refused
  with 422 ``unknown_field`` (nothing runs);
* bodies a partner organization may send carry none of the server's fields (a few ``status``
  fields are the organization's own statement, listed with their reason);
* multipart forms ignore unknown fields: proven on an import, which stays the caller's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gsi_kernel.auth import ORG_ROLES
from tests.security.conftest import clients
from tests.security.matrix import CALLERS, Caller, Outcome, expect
from tests.security.operations import (
    Operation,
    collected_documents,
    fill,
    operations,
    resolve,
)
from tests.security.world import CSV_HEADER, ORG_A, ORG_B, World

OPERATIONS = operations(collected_documents())
INJECTED: dict[str, Any] = {
    "organization_id": ORG_B,
    "organization": ORG_B,
    "status": "accepted",
    "state": "locked",
    "version": 99,
    "locked": True,
    "author": "intrus",
    "actor": "intrus",
    "declared_by": "intrus",
    "recorded_by": "intrus",
    "requested_by": "intrus",
    "decided_by": "intrus",
    "updated_by": "intrus",
    "started_by": "intrus",
    "created_at": "2020-01-01T00:00:00Z",
}
# Whole documents an admin publishes, checked by their own rules (not a model of named fields).
FREE_FORM = {
    ("POST", "/catalogue"): "an intervention catalogue document, validated by gsi_conformity",
    ("POST", "/rule-sets"): "an eligibility rule set document, validated by gsi_eligibility",
    ("POST", "/catalogue/preview"): "the catalogue document a publication would send, not recorded",
    ("POST", "/rule-sets/preview"): "the rule set document a publication would send, not recorded",
}
# Fields named like the server's that are the organization's own statement.
ORGANIZATIONS_OWN = {
    ("POST", "/persons", "status"): "the person's immigration status, as the organization declares it",
    ("POST", "/persons/{person_id}/status", "status"): "a new immigration status, with its date",
    ("PATCH", "/action-plans/{plan_id}/objectives/{objective_id}", "status"): "achieved or abandoned",
    ("PATCH", "/action-plans/{plan_id}/planned-services/{service_id}", "status"): "done or cancelled",
}


def json_writes() -> list[Operation]:
    found = []
    for op in OPERATIONS:
        body = op.body_schema()
        if body is not None and body[0] == "application/json":
            found.append(op)
    return found


def objects_in(
    op: Operation, schema: dict[str, Any], where: str = "body"
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object schema with named properties in ``schema``, with where it is."""
    schema = resolve(op.document, schema)
    if schema.get("properties"):
        yield where, schema
        for name, prop in schema["properties"].items():
            yield from objects_in(op, prop, f"{where}.{name}")
    for key in ("anyOf", "oneOf", "allOf"):
        for choice in schema.get(key, []):
            yield from objects_in(op, choice, where)
    if "items" in schema:
        yield from objects_in(op, schema["items"], f"{where}[]")


@pytest.mark.parametrize("op", json_writes(), ids=lambda op: op.label)
def test_every_body_object_refuses_unknown_fields(op: Operation) -> None:
    if op.key in FREE_FORM:
        pytest.skip(FREE_FORM[op.key])
    body = op.body_schema()
    assert body is not None
    objects = list(objects_in(op, body[1]))
    assert objects, f"{op.label}: a body with no named field (add it to FREE_FORM, with why)"
    open_ = [where for where, schema in objects if schema.get("additionalProperties") is not False]
    assert not open_, f"{op.label}: unknown fields accepted in {open_}"


@pytest.mark.parametrize(
    "op",
    [op for op in json_writes() if op.policy and set(op.policy.roles) & ORG_ROLES],
    ids=lambda op: op.label,
)
def test_partner_bodies_name_nothing_the_server_owns(op: Operation) -> None:
    body = op.body_schema()
    assert body is not None
    found = [
        f"{where}.{name}"
        for where, schema in objects_in(op, body[1])
        for name in schema["properties"]
        if name in INJECTED and (op.method, op.path, name) not in ORGANIZATIONS_OWN
    ]
    assert not found, f"{op.label}: the client may set {found}"


def first_entitled(op: Operation) -> Caller:
    shape = {"in_path": True, "in_body": True}
    return next(c for c in CALLERS if expect(op, c, **shape).outcome is Outcome.ENTITLED)


@pytest.mark.parametrize(
    "op", [op for op in json_writes() if op.key not in FREE_FORM], ids=lambda op: op.label
)
def test_the_servers_fields_are_refused_on_every_write(
    world: World, headers: dict[str, dict[str, str]], op: Operation
) -> None:
    filled = fill(op, world.ids, world.program)
    body = op.body_schema()
    assert body is not None
    assert isinstance(filled.json_body, dict)
    extra = {k: v for k, v in INJECTED.items() if k not in body[1].get("properties", {})}
    assert extra
    caller = first_entitled(op)
    response = clients(world.services)[op.service].request(
        op.method, filled.url, headers=headers[caller.name], json={**filled.json_body, **extra}
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "unknown_field"


def test_an_imports_form_fields_cannot_make_it_another_organizations(
    world: World, headers: dict[str, dict[str, str]]
) -> None:
    http = world.services.interventions
    content = f"{CSV_HEADER}{world.ids['person_id']};PDI;2026-08-13;30;in_person;V1;karine;\n".encode()
    form = {"mode": "dry_run", "organization_id": ORG_B, "started_by": "intrus", "status": "done"}
    started = http.post(
        "/imports", headers=world.a.staff, files={"file": ("f.csv", content, "text/csv")}, data=form
    )
    assert started.status_code == 202, started.text
    job = http.get(f"/imports/{started.json()['import_id']}", headers=world.a.staff).json()
    assert (job["organization_id"], job["started_by"]) == (ORG_A, f"staff@{ORG_A}")
    stranger = http.get(f"/imports/{started.json()['import_id']}", headers=headers["org_b_staff"])
    assert stranger.status_code == 404
