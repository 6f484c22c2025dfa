"""What the long fuzzing run found, pinned as plain examples so every run of the suite checks them
whatever the fuzzer draws: answers must be 4xx, never 5xx, and every status must be one the
operation's OpenAPI document lists (an open defect would be an ``xfail(strict=True)`` with its
fix, failing as XPASS the day it is fixed)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.security.conftest import clients
from tests.security.operations import Operation, collected_documents, fill, operations
from tests.security.world import Q1, World, declaration

OPERATIONS = operations(collected_documents())
PAGINATED = [op for op in OPERATIONS if any(p["name"] == "offset" for p in op.parameters("query"))]


def by_key(method: str, path: str) -> Operation:
    return next(op for op in OPERATIONS if op.key == (method, path))


def documented(op: Operation, response: Any) -> None:
    assert str(response.status_code) in op.spec["responses"], f"{op.label}: {response.text}"


@pytest.mark.parametrize("op", PAGINATED, ids=lambda op: op.label)
def test_a_huge_offset_is_refused_not_a_server_error(world: World, op: Operation) -> None:
    filled = fill(op, world.ids, world.program)
    client = clients(world.services)[op.service]
    response = client.get(filled.url, headers=world.admin, params={**filled.params, "offset": 2**63})
    assert response.status_code == 422, response.text
    assert response.json()["code"]


def test_the_paginated_operations_are_found() -> None:
    assert len(PAGINATED) >= 20


@pytest.mark.parametrize(
    ("path", "field"), [("/imports", "file"), ("/persons/{person_id}/documents", "file")], ids=str
)
def test_a_file_of_the_wrong_type_gets_a_documented_415(world: World, path: str, field: str) -> None:
    op = by_key("POST", path)
    filled = fill(op, world.ids, world.program)
    garbage = {field: ("f.bin", b"\x00\x05\xfe\xf5\xe6" * 10, "application/octet-stream")}
    client = clients(world.services)[op.service]
    response = client.post(filled.url, headers=world.a.staff, files=garbage, data=filled.data)
    assert response.status_code == 415, response.text
    documented(op, response)


def test_a_declaration_in_a_locked_quarter_gets_a_documented_423(world: World) -> None:
    op = by_key("POST", "/interventions")
    body = declaration(world.ids["person_id"], "2026-05-20")  # in Q1, which A's reviewer locked
    response = world.services.interventions.post("/interventions", headers=world.a.staff, json=body)
    assert (response.status_code, response.json()["code"][:7]) == (423, "quarter"), (Q1, response.text)
    documented(op, response)
