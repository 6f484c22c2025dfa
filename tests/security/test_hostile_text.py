"""Hostile text on PostgreSQL (issue 17 §1): control characters, U+0000, lone surrogates, 1 MB
strings and Unicode edge cases sent into every text field of every operation of every service —
JSON bodies, form fields, file names, query strings and path parameters — over the seeded world
of the security tests, with the four services on PostgreSQL.

What must hold, per service: no answer is a server error; nothing reached the store that a read
model could not take (no event parked); afterwards the service still answers ``/ready`` 200,
writes and reads; and built again on the same schemas (a restart) it starts and still reads.

The operations come from the services' OpenAPI documents, so an operation added tomorrow is
fuzzed at once."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from gsi_kernel.clock import FixedClock
from tests.e2e.flow import Services
from tests.in_process import services_on_postgres
from tests.security.conftest import clients, live_documents
from tests.security.discovery import seed_program
from tests.security.operations import SERVICES, Filled, Operation, Unfillable, fill, operations
from tests.security.world import NOW, ORG_A, World, build_world, ok, person

pytestmark = pytest.mark.postgres

# Text a client can send that PostgreSQL, a JSON reader or a person cannot take as is.
HOSTILE: dict[str, str] = {
    "nul": "Ami\x00na",
    "c0 controls": "Ami\x01\x07\x1b[31mna",
    "c1 controls": "Ami\x85\x9fna",
    "lone surrogate": "Ami\ud800na",
    "blank": " \u00a0\t ",
    "bidi and invisibles": "\u202eanimA\u200b\ufeff\u2066x\u2069",
    "noncharacters": "Ami\ufffe\uffffna",
    "combining and astral": "A\u0301\u0301\u0301mi\U0001f642na\U0010fffd",
    "newlines": "ligne 1\nligne 2\r\nligne 3",
    "long": "é" * 20_000,
}
ONE_MB = "x" * (1024 * 1024 + 1)
# In a URL: what percent-encoding can carry that a str cannot (invalid UTF-8 too).
HOSTILE_IN_URL: dict[str, str] = {
    "nul": "%00",
    "control": "a%07b%1B",
    "invalid utf-8": "%FF%FE",
    "encoded surrogate": "%ED%A0%80",
    "overlong nul": "%C0%80",
    "long": "e" * 8_000,
}


@dataclass
class Deployment:
    """The four services on PostgreSQL, which a test may restart on the same schemas."""

    data_dir: Path
    url: str
    prefix: str
    clock: FixedClock
    world: World | None = None
    _stack: ExitStack = field(default_factory=ExitStack)
    services: Services | None = None

    def start(self) -> Services:
        self.services = self._stack.enter_context(
            services_on_postgres(self.data_dir, self.url, self.prefix, clock=self.clock)
        )
        return self.services

    def restart(self) -> Services:
        self._stack.close()
        self._stack = ExitStack()
        return self.start()

    def close(self) -> None:
        self._stack.close()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> Iterator[Deployment]:
    clock = FixedClock(NOW)
    prefix = f"h_{uuid.uuid4().hex[:10]}"
    deployed = Deployment(tmp_path_factory.mktemp("hostile"), postgres_url, prefix, clock)
    services = deployed.start()
    world = build_world(services, clock)
    world.program = seed_program(clients(services), world.admin, live_documents(services), world.a.ids)
    deployed.world = world
    try:
        yield deployed
    finally:
        deployed.close()
        engine = create_engine(postgres_url)
        with engine.begin() as connection:
            for service in SERVICES:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{prefix}_{service}" CASCADE'))
        engine.dispose()


def _string_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Where a JSON value holds text (every string leaf, lists' items too)."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_paths(item, (*path, index))


def _replaced(value: Any, path: tuple[Any, ...], new: str) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replaced(copy[head], rest, new)
    return copy


def _send_json(client: Any, filled: Filled, headers: dict[str, str], body: Any) -> Any:
    # Encoded here, ASCII-only: a lone surrogate travels as the JSON escape "\ud800", which a
    # client library's UTF-8 encoder would refuse before sending.
    return client.request(
        filled.method,
        filled.url,
        params=filled.params,
        content=json.dumps(body, ensure_ascii=True).encode(),
        headers={**headers, "Content-Type": "application/json"},
    )


def _requests(op: Operation, filled: Filled) -> Iterator[tuple[str, Callable[[Any, dict[str, str]], Any]]]:
    """Every hostile variant of one filled request: (label, send)."""
    if filled.json_body is not None:
        paths = list(_string_paths(filled.json_body))
        for path in paths:
            for name, value in HOSTILE.items():
                body = _replaced(filled.json_body, path, value)
                yield f"body {path} {name}", _json_sender(filled, body)
        if paths:
            yield "body 1 MB", _json_sender(filled, _replaced(filled.json_body, paths[0], ONE_MB))
    if filled.files is not None:
        for name, value in HOSTILE.items():
            for form_field in filled.data or {}:
                data = {**(filled.data or {}), form_field: value}
                yield f"form {form_field} {name}", _multipart_sender(filled, filled.files, data)
            files = {k: (value[:200].replace('"', "_"), v[1], v[2]) for k, v in filled.files.items()}
            yield f"file name {name}", _multipart_sender(filled, files, filled.data or {})
    for param in op.parameters("query"):
        for name, raw in HOSTILE_IN_URL.items():
            yield f"query {param['name']} {name}", _raw_query_sender(filled, param["name"], raw)
    for param in op.parameters("path"):
        for name, raw in HOSTILE_IN_URL.items():
            url = op.path
            for other in op.parameters("path"):
                value = raw if other is param else _path_value_of(filled, op, other["name"])
                url = url.replace("{" + other["name"] + "}", value)
            yield f"path {param['name']} {name}", _url_sender(filled, url)


def _path_value_of(filled: Filled, op: Operation, name: str) -> str:
    """The value ``fill`` gave path parameter ``name`` (matched segment by segment)."""
    for template, actual in zip(op.path.split("/"), filled.url.split("/"), strict=True):
        if template == "{" + name + "}":
            return quote(actual, safe="")
    raise AssertionError(f"{op.label}: no path parameter {name}")


def _json_sender(filled: Filled, body: Any) -> Callable[[Any, dict[str, str]], Any]:
    return lambda client, headers: _send_json(client, filled, headers, body)


def _multipart_sender(
    filled: Filled, files: dict[str, tuple[str, bytes, str]], data: dict[str, str]
) -> Callable[[Any, dict[str, str]], Any]:
    """Built by hand: a lone surrogate goes out as the bytes a careless client would send
    (``surrogatepass``: invalid UTF-8), which a client library would refuse to encode."""
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in data.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode("utf-8", "surrogatepass")
            + b"\r\n"
        )
    for name, (file_name, content, media_type) in files.items():
        disposition = f'form-data; name="{name}"; filename="{file_name}"'
        parts.append(
            f"--{boundary}\r\nContent-Disposition: ".encode()
            + disposition.encode("utf-8", "surrogatepass")
            + f"\r\nContent-Type: {media_type}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    content_type = f"multipart/form-data; boundary={boundary}"

    def send(client: Any, headers: dict[str, str]) -> Any:
        return client.request(
            filled.method,
            filled.url,
            params=filled.params,
            content=body,
            headers={**headers, "Content-Type": content_type},
        )

    return send


def _raw_query_sender(filled: Filled, name: str, raw: str) -> Callable[[Any, dict[str, str]], Any]:
    query = "&".join(
        [f"{k}={quote(str(v), safe='')}" for k, v in filled.params.items() if k != name] + [f"{name}={raw}"]
    )
    return _url_sender(filled, f"{filled.url}?{query}", with_params=False)


def _url_sender(
    filled: Filled, url: str, *, with_params: bool = True
) -> Callable[[Any, dict[str, str]], Any]:
    def send(client: Any, headers: dict[str, str]) -> Any:
        kwargs = filled.kwargs()
        if not with_params:
            kwargs.pop("params", None)
        return client.request(filled.method, url, headers=headers, **kwargs)

    return send


def _caller(world: World, op: Operation) -> dict[str, str]:
    """A caller the operation lets in, so that the text reaches its handler: organization A's
    manager where an organization's user may call, else the admin, else A's reviewer."""
    roles = set(op.policy.roles) if op.policy is not None else {"admin"}
    if roles & {"org_manager", "org_staff"}:
        return world.a.manager if "org_manager" in roles else world.a.staff
    return world.admin if "admin" in roles else world.a.reviewer_headers


def _ready(client: Any) -> dict[str, Any]:
    response = client.get("/ready")
    assert response.status_code == 200, f"/ready: {response.status_code} {response.text}"
    return dict(response.json())


def _parked(client: Any, world: World) -> list[Any]:
    """The parked events but the one the world parks on purpose (see ``park_an_event``)."""
    response = client.get("/admin/parked-events", headers=world.admin)
    assert response.status_code == 200, response.text
    body = response.json()
    items = body["items"] if isinstance(body, dict) else body
    return [item for item in items if item["event_id"] not in world.parked]


@pytest.mark.parametrize("service", SERVICES)
def test_hostile_text_never_breaks_a_service_on_postgres(deployment: Deployment, service: str) -> None:
    world = deployment.world
    assert world is not None
    assert deployment.services is not None
    client = getattr(deployment.services, service)
    documents = live_documents(deployment.services)
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    for op in operations({service: documents[service]}):
        try:
            filled = fill(op, world.ids, world.program)
        except Unfillable as exc:  # the security tier's own test fails on an unfillable operation
            pytest.fail(str(exc))
        headers = _caller(world, op)
        for label, send in _requests(op, filled):
            response = send(client, headers)
            statuses[response.status_code] += 1
            if response.status_code >= 500:
                failures.append(f"{op.label} [{label}]: {response.status_code} {response.text[:200]}")
    print(
        f"\n{service}: {sum(statuses.values())} hostile requests, statuses {dict(sorted(statuses.items()))}"
    )
    assert not failures, "server errors:\n" + "\n".join(failures[:30])
    _ready(client)
    assert _parked(client, world) == [], "an event got past the edge and a read model refused it"
    _still_writes_and_reads(deployment.services, world)


def _still_writes_and_reads(services: Services, world: World) -> None:
    """A new person registered, declared for, and read back through every service that keeps it."""
    staff = world.a.staff
    registered = ok(
        services.registration.post("/persons", json=person("Après-Fuzz", "Léa", None), headers=staff), 201
    )
    person_id = registered["person_id"]
    read = ok(services.registration.get(f"/persons/{person_id}?purpose=service_delivery", headers=staff))
    assert read["family_name"] == "Après-Fuzz"
    found = ok(services.registration.get("/persons", params={"name": "apres"}, headers=staff))
    assert any(p["person_id"] == person_id for p in found["items"])
    inbox = services.notifications.get("/inbox", headers=staff)
    assert inbox.status_code == 200, inbox.text
    report = services.reporting.get(f"/reports/{ORG_A}/2026-2027-Q2", headers=staff)
    assert report.status_code == 200, report.text


def test_every_service_restarts_on_what_the_hostile_text_left(deployment: Deployment) -> None:
    world = deployment.world
    assert world is not None
    services = deployment.restart()
    for name in SERVICES:
        _ready(getattr(services, name))
        assert _parked(getattr(services, name), world) == []
    _still_writes_and_reads(services, world)
