"""Fuzzing (schemathesis 4): every operation of every service's OpenAPI document, in this process
(ASGI), over the seeded world of the security tests, with valid tokens — an admin's and
organization A's staff member's — on data schemathesis generates, valid and invalid. Checked on
every answer: no server error, the status code is one the document lists, the body conforms to
the document's schema.

Bounded for the test suite (``GSI_FUZZ_EXAMPLES`` examples per operation and token, 8 by
default, derandomized so a run is reproducible); a longer, random run, with shrinking::

    GSI_FUZZ_EXAMPLES=500 uv run pytest tests/security/test_fuzz.py -q -s
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.security.conftest import clients
from tests.security.operations import collected_documents, operations
from tests.security.world import World

EXAMPLES = int(os.environ.get("GSI_FUZZ_EXAMPLES", "8"))
LONG_RUN = "GSI_FUZZ_EXAMPLES" in os.environ
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
WHO = ("admin", "org_staff")

# Operations whose fuzzing fails on a known defect: (service, method, path) -> reason, each an
# xfail(strict=True) until fixed. The defects found so far are fixed and pinned as plain examples
# in test_fuzz_findings.py.
KNOWN: dict[tuple[str, str, str], str] = {}


OPERATIONS = operations(collected_documents())
RUN: Counter[str] = Counter()

AsgiScope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
App = Callable[[AsgiScope, Receive, Send], Awaitable[None]]


def without_lifespan(app: App) -> App:
    """``app`` for schemathesis, whose client would start the app's lifespan (the kernel: its
    workers) a second time: the TestClient of the ``services`` fixture has started it."""

    async def asgi(scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        while (await receive())["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})

    return asgi


@dataclass
class Fuzzed:
    schemas: dict[str, Any]
    headers: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def fuzzed(world: World) -> Fuzzed:
    """The seeded world of :mod:`tests.security.world`, so that lists have rows to conform."""
    apps = {name: client.app for name, client in clients(world.services).items()}
    schemas = {
        name: schemathesis.openapi.from_asgi("/openapi.json", without_lifespan(app))
        for name, app in apps.items()
    }
    return Fuzzed(schemas, {"admin": world.admin, "org_staff": world.a.staff})


def _cases() -> Iterator[Any]:
    for op in OPERATIONS:
        reason = KNOWN.get((op.service, op.method, op.path))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        for who in WHO:
            yield pytest.param(op.service, op.method, op.path, who, id=f"{op.label}-{who}", marks=marks)


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
@pytest.mark.parametrize(("service", "method", "path", "who"), list(_cases()))
def test_fuzz(fuzzed: Fuzzed, service: str, method: str, path: str, who: str) -> None:
    operation = fuzzed.schemas[service][path][method]
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    headers = fuzzed.headers[who]
    started = time.perf_counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=not LONG_RUN,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, *([Phase.shrink] if LONG_RUN else [])],
    )
    @given(case=strategy)
    def fuzz(case: Any) -> None:
        response = case.call(headers=headers)
        RUN["cases"] += 1
        RUN[f"status {response.status_code}"] += 1
        case.validate_response(response, checks=CHECKS)

    try:
        fuzz()
    finally:
        RUN["operations"] += 1
        RUN["milliseconds"] += int((time.perf_counter() - started) * 1000)


def test_fuzz_figures() -> None:
    print(
        f"\nfuzz: {RUN['cases']} cases over {RUN['operations']} operation x token runs "
        f"({len(OPERATIONS)} operations), {RUN['milliseconds'] / 1000:.1f} s, "
        f"{EXAMPLES} examples each, checks: {', '.join(c.__name__ for c in CHECKS)}; "
        + ", ".join(f"{k}: {v}" for k, v in sorted(RUN.items()) if k.startswith("status"))
    )
    assert RUN["operations"] in (0, len(OPERATIONS) * len(WHO))
