"""Faults injected into GSI running as in production (PostgreSQL + Kafka, two serving processes
per service under a supervisor), during a load of declarations: the broker stopped and
restarted, the database stopped and restarted, kill -9 of the services' supervisors at seeded
moments, and conflicting writes at once. Each test checks the counts end to end — every
accepted declaration stored once and counted once by reporting, none refused, no 500 — and
that the system recovers by itself; it prints its figures (``pytest -s`` shows them)."""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from scripts.launcher import SERVICES
from tests.faults.outages import (
    KAFKA,
    POSTGRES,
    REVIEWER_EMAIL,
    FaultSystem,
    Figures,
    Infra,
    in_background,
    person_body,
    report,
    seeded,
    until,
)

pytestmark = [pytest.mark.faults, pytest.mark.postgres, pytest.mark.kafka, pytest.mark.timeout(900)]

LOAD = 240  # declarations per fault
PERSONS = 12


@pytest.fixture(scope="module")
def infra() -> Iterator[Infra]:
    if shutil.which("java") is None:
        pytest.fail("the fault tier needs Java for its own Kafka broker (scripts/setup.sh installs it)")
    servers = Infra()
    servers.start()
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture(scope="module")
def system(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FaultSystem, list[str]]]:
    running = FaultSystem(infra, tmp_path_factory.mktemp("faults"), base_port=_free_base_port())
    try:
        running.start()
        yield running, running.prepare(PERSONS)
    finally:
        running.stop()


def _free_base_port() -> int:
    """Five consecutive free ports (the portal's and the four services')."""
    for base in range(18600, 19000, 10):
        try:
            for port in range(base, base + 5):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise AssertionError("no five free ports between 18600 and 19000")


def _assert_exact(
    running: FaultSystem, before: tuple[int, int], figures: Figures, name: str, **more: object
) -> None:
    """Every accepted declaration stored once and counted once, after the system recovered."""
    stored_before, counted_before = before
    expected_stored = stored_before + figures.accepted
    recovery = until(
        lambda: running.counted() == counted_before + figures.accepted, "reporting counts them", 240
    )
    running.settled()
    report(name, figures, stored=running.stored() - stored_before, recovery_s=f"{recovery:.1f}", **more)
    assert figures.unexpected() == {}, f"answers a client should not see: {figures.unexpected()}"
    assert figures.accepted == figures.sent, "every declaration accepted in the end"
    assert figures.duplicates == 0
    assert running.stored() == expected_stored, "stored once each"
    time.sleep(3)  # late duplicates would show now
    assert running.counted() == counted_before + figures.accepted, "counted once each"


def _before(running: FaultSystem) -> tuple[int, int]:
    running.settled()
    return running.stored(), running.counted()


def _after_accepted(figures: Figures, count: int) -> None:
    until(lambda: figures.accepted >= count, f"{count} declarations accepted", 120)


@pytest.mark.parametrize(("script", "down_s"), [(KAFKA, 15), (POSTGRES, 10)], ids=["kafka", "postgresql"])
def test_a_server_stopped_and_restarted_mid_load(
    infra: Infra, system: tuple[FaultSystem, list[str]], script: Path, down_s: int
) -> None:
    """Kafka down: declarations are accepted into the outbox and published once it is back.
    PostgreSQL down: 503 with Retry-After, and the clients' retries (same key) land once."""
    running, persons = system
    before, figures = _before(running), Figures()
    with in_background(lambda: running.declare(persons, LOAD, figures)):
        _after_accepted(figures, LOAD // 4)
        infra.run(script, "stop")
        time.sleep(down_s)
        infra.run(script, "start")
    _assert_exact(running, before, figures, f"{script.stem} stopped {down_s} s")


def test_kill_9_of_each_services_supervisor_during_load(system: tuple[FaultSystem, list[str]]) -> None:
    """The orchestrator (here the test) starts a killed service again; its serving processes
    ended with it, so the new one has the port. Meanwhile six organizations submit their
    reports: the reviewer gets one e-mail for each, not one more."""
    running, persons = system
    organizations = [f"org-faults-{n}" for n in range(6)]
    managers = running.reviewed(organizations)
    before, figures, submissions = _before(running), Figures(), Figures()
    mails_before = len(running.smtp.to(REVIEWER_EMAIL))
    chance, kills = seeded("kill-9"), []
    with (
        in_background(lambda: running.declare(persons, LOAD, figures)),
        in_background(lambda: running.submit(managers, submissions)),
    ):
        for service in chance.sample(SERVICES, len(SERVICES)):
            time.sleep(chance.uniform(0.5, 3.0))
            running.processes.kill(service)
            kills.append(service)
            running.restart(service)
    assert submissions.accepted == len(organizations), dict(submissions.answers)
    until(lambda: len(running.smtp.to(REVIEWER_EMAIL)) >= mails_before + 6, "the reviewer's e-mails", 240)
    time.sleep(5)  # a duplicate would come now
    mails = len(running.smtp.to(REVIEWER_EMAIL)) - mails_before
    _assert_exact(running, before, figures, "kill -9", kills=",".join(kills), submitted=6, emails=mails)
    assert mails == len(organizations), "one e-mail per submission"


def test_concurrent_corrections_of_one_intervention_each_make_one_version(
    system: tuple[FaultSystem, list[str]],
) -> None:
    running, persons = system
    running.settled()
    staff = running.staff()
    url = running.processes.url("interventions")
    with httpx.Client(base_url=url, timeout=60) as http:
        declared = http.post("/interventions", headers=staff, json=running.declaration(persons[0]))
        assert declared.status_code == 201, declared.text
        intervention = declared.json()["intervention_id"]

        def correct(n: int) -> httpx.Response:
            details = {**running.declaration(persons[0]), "duration_minutes": 30 + n}
            details.pop("person_id")
            body = {"details": details, "reason": f"Correction {n}"}
            return http.post(f"/interventions/{intervention}/corrections", headers=staff, json=body)

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(correct, range(60)))
        history = http.get(f"/interventions/{intervention}/history", headers=staff).json()
    versions = [entry["version"] for entry in history]
    won = sum(1 for a in answers if a.status_code == 204)
    print(f"\n[faults] concurrent corrections: sent=60 applied={won} versions={len(versions)}")
    # A correction that lost the race for a version is refused (the user sees the newer one and
    # decides again), never applied over it.
    assert {a.status_code for a in answers} <= {204, 409}
    assert {a.json()["code"] for a in answers if a.status_code == 409} <= {"concurrency_conflict"}
    assert won >= 1
    assert versions == list(range(1, won + 2)), "one version per correction applied, none lost, none twice"


def test_concurrent_registrations_of_one_uci_make_one_person(system: tuple[FaultSystem, list[str]]) -> None:
    running, _ = system
    running.settled()
    staff = running.staff()
    body = {**person_body(999), "uci": "9876-5432"}
    url = running.processes.url("registration")
    with httpx.Client(base_url=url, timeout=60) as http, ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda _: http.post("/persons", headers=staff, json=body), range(40)))
    codes = sorted(a.status_code for a in answers)
    print(f"\n[faults] concurrent registrations of one UCI: sent=40 created={codes.count(201)}")
    assert codes.count(201) == 1
    assert set(codes) == {201, 409}
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"person.duplicate_uci"}
