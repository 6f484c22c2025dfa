"""Finding, for a path parameter the tests have no name for, an object to fill it with — so that
an operation added tomorrow with a new kind of object is filled without teaching the tests:
through a list read whose objects carry the parameter (an organization's when they carry its
id: then one of A's), or by making one as an admin (the example of its collection's POST), or by
an upsert on a constant path (a PUT)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.security.operations import (
    CONSTANTS,
    TENANT_PARAMS,
    Operation,
    example_or_built,
    fill,
    named_by_schema,
    operations,
    resolve,
)
from tests.security.world import ORG_A


def _items_schema(op: Operation) -> dict[str, Any] | None:
    """The schema of the objects a list read returns (a page's items, or an array's)."""
    content = op.spec.get("responses", {}).get("200", {}).get("content", {})
    schema = resolve(op.document, content.get("application/json", {}).get("schema", {}))
    if "items" in schema.get("properties", {}):
        schema = resolve(op.document, schema["properties"]["items"])
    if schema.get("type") != "array":
        return None
    return resolve(op.document, schema.get("items", {}))


def listings(documents: Mapping[str, Any]) -> dict[str, tuple[Operation, bool]]:
    """For a path parameter the tests know nothing of: a list read (no path parameter) whose
    objects carry it — and whether those objects are an organization's (they carry its id)."""
    found: dict[str, tuple[Operation, bool]] = {}
    for op in operations(documents):
        items = _items_schema(op) if op.is_read and not op.parameters("path") else None
        properties = (items or {}).get("properties", {})
        for name in properties:
            if name.endswith("_id") and name not in TENANT_PARAMS and name not in found:
                found[name] = (op, "organization_id" in properties)
    return found


def unknown_names(documents: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """Path parameters beyond :data:`TENANT_PARAMS` and :data:`CONSTANTS` that name an object:
    those of an organization (found through a list) and the program's (listed or made)."""
    listed = listings(documents)
    tenant: set[str] = set()
    program: set[str] = set()
    for op in operations(documents):
        for param in op.parameters("path"):
            name = param["name"]
            if name in TENANT_PARAMS or name in CONSTANTS or named_by_schema(op, param):
                continue
            (tenant if name in listed and listed[name][1] else program).add(name)
    return tenant, program


def seed_program(
    clients: Mapping[str, Any], admin: dict[str, str], documents: Mapping[str, Any], ids: dict[str, str]
) -> dict[str, str]:
    """Find or make, as an admin, an object for every path parameter of :func:`unknown_names`:
    upsert what a PUT on a constant path makes (a contact, a schedule), make the program's
    objects with the example of their collection's POST (an incident), then look up each name
    in its list (an organization's: one of A's)."""
    program: dict[str, str] = {}
    ops = operations(documents)
    for op in ops:
        if op.method == "PUT" and all(
            p["name"] in CONSTANTS or named_by_schema(op, p) for p in op.parameters("path")
        ):
            filled = fill(op, ids, program)
            response = clients[op.service].put(filled.url, headers=admin, json=filled.json_body)
            assert response.status_code < 300, f"{op.label}: {response.text}"
    tenant_names, program_names = unknown_names(documents)
    for name in sorted(program_names):
        made = _make(clients, admin, documents, name)
        if made is not None:
            program[name] = made
    for name, (lister, is_tenant) in listings(documents).items():
        if name in (tenant_names | program_names) - program.keys():
            found = _look_up(clients[lister.service], admin, lister.path, name, is_tenant)
            (ids if is_tenant else program)[name] = found
    return program


def _make(
    clients: Mapping[str, Any], admin: dict[str, str], documents: Mapping[str, Any], name: str
) -> str | None:
    for op in operations(documents):
        collection = op.path.split("/{" + name + "}")[0]
        create = documents[op.service]["paths"].get(collection, {}).get("post")
        if "{" + name + "}" in op.path and create is not None:
            maker = Operation(op.service, "POST", collection, create, documents[op.service])
            body = maker.body_schema()
            json_body = example_or_built(maker, body[1], "body") if body else None
            response = clients[op.service].post(collection, headers=admin, json=json_body)
            assert response.status_code in (200, 201), f"{maker.label}: {response.text}"
            return str(response.json()[name])
    return None


def _look_up(client: Any, admin: dict[str, str], path: str, name: str, is_tenant: bool) -> str:
    body = client.get(path, headers=admin, params={"limit": 100}).json()
    items = body["items"] if isinstance(body, dict) else body
    mine = [i for i in items if not is_tenant or i.get("organization_id") == ORG_A]
    assert mine, f"no {name} of A in GET {path}: seed one in tests/security/world.py"
    return str(mine[0][name])
