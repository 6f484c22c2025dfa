"""The fault tier's system under test: a PostgreSQL server and a Kafka broker of its own (the
tier stops and restarts them; the other tiers' servers are left alone), the four services on
them, each served by two processes under a supervisor as in production, and a load of
declarations from clients that behave as the portal and the ministry's systems should: each
command carries an ``Idempotency-Key`` and is retried with it after a 503, a timeout or a
refused connection, so that an outage costs time, never a command lost or applied twice.
"""

from __future__ import annotations

import os
import random
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from gsi_kernel.clock import montreal_date
from gsi_kernel.fiscal import FiscalQuarter
from scripts.launcher import SERVICES, ServiceProcesses
from tests.e2e.flow import Services, assign_reviewer, cover
from tests.people import refugee
from tests.smtp import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = ROOT / "deploy" / "local" / "postgres.sh"
KAFKA = ROOT / "deploy" / "local" / "kafka.sh"
ORG = "org-faults"
REVIEWER, REVIEWER_EMAIL = "nadia@mifi", "nadia.lavoie@mifi.example"
# Apart from the other tiers' servers (54329, 19092-19093) and from Keycloak (18080-18081).
INFRA_ENV = {
    "GSI_PG_DIR": "/var/tmp/gsi-pg-faults",
    "GSI_PG_PORT": "54339",
    "GSI_KAFKA_DIR": "/var/tmp/gsi-kafka-faults",
    "GSI_KAFKA_PORT": "19192",
    "GSI_KAFKA_CONTROLLER_PORT": "19193",
}
RETRIED = {502, 503, 504}
# The same key while its first request still runs (e.g. one the client gave up on when the
# database went away): ask again in a moment.
IN_PROGRESS = "409 request.idempotency_key_in_progress"


def _expected(answer: str) -> bool:
    code = answer.split()[0]
    return code in {"0", "200", "201"} or int(code) in RETRIED or answer == IN_PROGRESS


@dataclass
class Infra:
    """The tier's own PostgreSQL and Kafka, stopped and started by the scripts `make test` uses."""

    database_url: str = ""
    bootstrap: str = ""

    def run(self, script: Path, command: str) -> str:
        result = subprocess.run(
            [script, command], env={**os.environ, **INFRA_ENV}, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, f"{script.name} {command}: {result.stderr[-2000:]}"
        return result.stdout.strip()

    def start(self) -> None:
        self.run(POSTGRES, "start")
        self.run(KAFKA, "start")
        self.database_url = self.run(POSTGRES, "env").partition("=")[2]
        self.bootstrap = self.run(KAFKA, "env").partition("=")[2]

    def stop(self) -> None:
        self.run(KAFKA, "stop")
        self.run(POSTGRES, "stop")


@dataclass
class Figures:
    """What a load did, printed by each test: the counts that must agree end to end."""

    sent: int = 0
    accepted: int = 0
    retries: int = 0
    answers: Counter[str] = field(default_factory=Counter)  # "201", "503 service.…", "0" (no answer)
    intervention_ids: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def unexpected(self) -> dict[str, int]:
        """Answers a client should never see: a 500, or any refusal of a valid command."""
        return {answer: n for answer, n in self.answers.items() if not _expected(answer)}

    @property
    def duplicates(self) -> int:
        return len(self.intervention_ids) - len(set(self.intervention_ids))


class FaultSystem:
    """The four services on the tier's servers, each under a supervisor with two serving
    processes (GSI_HTTP_WORKERS=2); ``restart`` plays the orchestrator after a crash."""

    def __init__(self, infra: Infra, tmp: Path, base_port: int) -> None:
        run = uuid.uuid4().hex[:8]
        env = {
            "GSI_BUS": "kafka",
            "GSI_KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap,
            "GSI_KAFKA_NAMESPACE": f"faults-{run}.",
            "GSI_DATABASE_URL": infra.database_url,
            "GSI_DATA_DIR": str(tmp),
            "GSI_HTTP_WORKERS": "2",
        }
        self.smtp = SmtpServer()  # notifications' e-mails land here, to be counted
        env.update({f"GSI_NOTIFICATIONS_{k.upper()}": str(v) for k, v in self.smtp.settings().items()})
        for service in SERVICES:
            env[f"GSI_{service.upper()}_DB_SCHEMA"] = f"faults_{run}_{service}"
        self.processes = ServiceProcesses(env=env, log_dir=tmp / "logs", base_port=base_port)
        self.clients = {s: httpx.Client(base_url=self.processes.url(s), timeout=20) for s in SERVICES}
        self.services = Services(**self.clients)
        self.quarter = FiscalQuarter.of(montreal_date(datetime.now(UTC)))
        self._tokens: dict[str, dict[str, str]] = {}

    def start(self) -> None:
        self.smtp.start()
        self.processes.start(timeout_s=240)

    def stop(self) -> None:
        self.processes.stop()
        self.smtp.stop()
        for client in self.clients.values():
            client.close()

    def settled(self) -> float:
        """Seconds until every service answers ``/ready`` 200 (after a fault, or before the next
        test: the servers' and processes' restarts are behind)."""
        return until(lambda: all(self._ready(service) for service in SERVICES), "every service is ready", 240)

    def _ready(self, service: str) -> bool:
        try:
            return self.clients[service].get("/ready").status_code == 200
        except httpx.TransportError:
            return False

    def restart(self, service: str) -> None:
        self.processes.start_one(service)
        self.processes.wait_ready(service, 240)

    def token(self, **claims: Any) -> dict[str, str]:
        """A token for ``claims``, made once (registration, which signs them, may be down
        when one is needed again)."""
        key = repr(sorted(claims.items()))
        if key not in self._tokens:
            answer = self.clients["registration"].post("/dev/token", json=claims)
            assert answer.status_code == 200, answer.text
            self._tokens[key] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        return self._tokens[key]

    def staff(self) -> dict[str, str]:
        return self.token(user_id="karine", roles=["org_staff"], organization=ORG)

    def manager(self, organization: str = ORG) -> dict[str, str]:
        return self.token(user_id="sophie", roles=["org_manager"], organization=organization)

    def reviewed(self, organizations: list[str]) -> dict[str, dict[str, str]]:
        """``organizations`` covered and assigned to the reviewer, whose e-mail notifications
        knows: each report submitted then sends the reviewer one e-mail. Returns each
        organization's manager's headers (made now: registration, which signs tokens, may be
        down later)."""
        admin = self.token(user_id="admin", roles=["admin"])
        contact = {"email": REVIEWER_EMAIL, "name": "Nadia Lavoie", "language": "fr"}
        answer = self.clients["notifications"].put(
            f"/ministry-contacts/{REVIEWER}", headers=admin, json=contact
        )
        assert answer.status_code == 200, answer.text
        for organization in organizations:
            cover(self.services, organization)
            assign_reviewer(self.services, REVIEWER, organization)
        return {organization: self.manager(organization) for organization in organizations}

    def submit(self, managers: dict[str, dict[str, str]], figures: Figures) -> None:
        """Each organization's report of the previous quarter (ended) submitted, retried with
        its key until accepted."""
        previous = FiscalQuarter.of(self.quarter.first_day - timedelta(days=1))
        with httpx.Client(timeout=20) as http:
            for organization, headers in managers.items():
                url = f"{self.processes.url('reporting')}/reports/{organization}/{previous}/submit"
                self._command(http, url, headers, None, figures, accepted=200)

    def prepare(self, persons: int) -> list[str]:
        """The organization covered, and ``persons`` persons registered and known to
        interventions (it learns of them over Kafka)."""
        cover(self.services, ORG)
        staff = self.staff()
        ids = []
        for n in range(persons):
            answer = self.clients["registration"].post("/persons", headers=staff, json=person_body(n))
            assert answer.status_code == 201, answer.text
            ids.append(answer.json()["person_id"])
        until(lambda: self._known(ids[-1], staff), "interventions knows the persons", 120)
        return ids

    def _known(self, person_id: str, staff: dict[str, str]) -> bool:
        answer = self.clients["interventions"].post(
            "/interventions/checks", headers=staff, json=self.declaration(person_id)
        )
        return answer.status_code == 200

    def declaration(self, person_id: str) -> dict[str, Any]:
        return {
            "person_id": person_id,
            "code": "ACC",
            "service_date": montreal_date(datetime.now(UTC)).isoformat(),
            "duration_minutes": 60,
            "mode": "in_person",
            "volet": "V1",
            "staff_member": "karine",
        }

    def declare(self, persons: list[str], count: int, figures: Figures, threads: int = 6) -> None:
        """``count`` declarations, ``threads`` at a time, each retried with its key until it is
        accepted (within 180 s)."""
        headers = self.staff()
        url = f"{self.processes.url('interventions')}/interventions"
        with httpx.Client(timeout=20) as http, ThreadPoolExecutor(threads) as pool:
            list(
                pool.map(
                    lambda n: self._declare_one(http, url, headers, persons[n % len(persons)], figures),
                    range(count),
                )
            )

    def _declare_one(
        self, http: httpx.Client, url: str, headers: dict[str, str], person_id: str, figures: Figures
    ) -> None:
        answer = self._command(http, url, headers, self.declaration(person_id), figures, accepted=201)
        if answer is not None:
            with figures.lock:
                figures.intervention_ids.append(answer.json()["intervention_id"])

    def _command(
        self,
        http: httpx.Client,
        url: str,
        headers: dict[str, str],
        body: dict[str, Any] | None,
        figures: Figures,
        accepted: int,
    ) -> httpx.Response | None:
        """POST ``body`` with a key of its own, again with the same key after no answer, a 503
        or "still running", for 180 s at most; the accepting answer, or None."""
        key = str(uuid.uuid4())
        with figures.lock:
            figures.sent += 1
        deadline = time.monotonic() + 180
        while True:
            answer: httpx.Response | None = None
            with suppress(httpx.TransportError):  # refused, reset, timed out: it may have run
                answer = http.post(url, headers={**headers, "Idempotency-Key": key}, json=body)
            seen = _seen(answer)
            with figures.lock:
                figures.answers[seen] += 1
                if answer is not None and answer.status_code == accepted:
                    figures.accepted += 1
                    return answer
                if not _expected(seen) or time.monotonic() > deadline:
                    return None
                figures.retries += 1
            time.sleep(_retry_after(answer) if answer is not None else 0.5)

    def counted(self) -> int:
        """The interventions reporting counts for the organization's quarter (-1 while it does
        not answer: a service started again may still be taking over its port)."""
        answer = self._get("reporting", f"/reports/{ORG}/{self.quarter}", self.manager())
        return int(answer.json().get("interventions_count", -1)) if answer is not None else -1

    def stored(self) -> int:
        answer = self._get("interventions", "/interventions", self.staff(), {"limit": 1})
        return int(answer.json()["total"]) if answer is not None else -1

    def _get(
        self, service: str, path: str, headers: dict[str, str], params: dict[str, Any] | None = None
    ) -> httpx.Response | None:
        try:
            answer = self.clients[service].get(path, headers=headers, params=params)
        except httpx.TransportError:
            return None
        return answer if answer.status_code == 200 else None


def _seen(answer: httpx.Response | None) -> str:
    if answer is None:
        return "0"
    if answer.status_code < 400:
        return str(answer.status_code)
    try:
        return f"{answer.status_code} {answer.json().get('code')}"
    except ValueError:
        return f"{answer.status_code} (not JSON)"


def _retry_after(answer: httpx.Response) -> float:
    try:
        return min(float(answer.headers.get("Retry-After", "1")), 5.0)
    except ValueError:
        return 1.0


def person_body(n: int) -> dict[str, Any]:
    return refugee(f"Panne{n:03d}")


def until(condition: Callable[[], Any], what: str, timeout_s: float) -> float:
    """Seconds until ``condition`` held (fails after ``timeout_s``)."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout_s, f"timed out after {timeout_s} s waiting until {what}"
        time.sleep(0.5)
    return time.monotonic() - started


@contextmanager
def in_background(work: Callable[[], None]) -> Iterator[threading.Thread]:
    """``work`` in a thread while the block injects a fault; joined (and its failure raised)
    after."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # reported to the test below
            failure.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield thread
    thread.join(600)
    assert not thread.is_alive(), "the load did not end"
    if failure:
        raise failure[0]


def report(name: str, figures: Figures, **more: object) -> None:
    extras = " ".join(f"{k}={v}" for k, v in more.items())
    print(
        f"\n[faults] {name}: sent={figures.sent} accepted={figures.accepted} retries={figures.retries} "
        f"duplicates={figures.duplicates} answers={dict(figures.answers)} {extras}"
    )


def seeded(name: str) -> random.Random:
    """The same faults at the same moments on every run (GSI_FAULTS_SEED changes them)."""
    return random.Random(f"{os.environ.get('GSI_FAULTS_SEED', '19')}:{name}")
