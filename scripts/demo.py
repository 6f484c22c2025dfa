"""Demo data for the embedded mode, from the user journeys (docs/journeys.md):
four organizations with contacts, agreements and targets, the reviewer assigned to them, about
220 persons, their interventions (a few non-conforming), action plans, group sessions, and the
reports of the last quarter that has ended taken through the workflow, one organization per
state (the current quarter's reports are drafts: it has not ended). What is created is decided
in :mod:`scripts.demo_plan`; here it is sent through the real endpoints, like a user would, and
only once (a marker file in the data folder).

The seed goes through the same rules as anyone: persons are registered and served on a day of
that quarter, and its reports submitted and decided after its end — the services' business day
moved there and back as a rehearsal moves it (``GSI_CLOCK_OFFSET_DAYS``, the services restarted).
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from gsi_kernel.fiscal import FiscalQuarter
from scripts.demo_plan import (
    ADMIN,
    DUPLICATE,
    GATINEAU,
    MONTREAL,
    ORGANIZATIONS,
    REVIEWER,
    SESSIONS,
    SHERBROOKE,
    USERS,
    Act,
    Person,
    clerk_of,
    known_person,
    manager_of,
    plan,
    targets,
)
from scripts.demo_summary import summary
from scripts.launcher import ServiceProcesses, post_json

OFFSET = "GSI_CLOCK_OFFSET_DAYS"


class Demo:
    """One seeding run: the services, today, a token per demo user, and HTTP calls as them."""

    def __init__(self, services: ServiceProcesses, today: date) -> None:
        self.services, self.today = services, today
        self.current = FiscalQuarter.of(today)
        # The last quarter that has ended: served on a day of its last weeks, closed after it.
        self.quarter = FiscalQuarter.of(self.current.first_day - timedelta(days=1))
        self.year = f"{self.quarter.start_year}-{self.quarter.start_year + 1}"
        self.served_on = self.quarter.last_day - timedelta(days=14)
        self.closed_on = min(self.quarter.last_day + timedelta(days=10), today)  # before its deadline
        self.tokens = tokens(services)
        self.duplicate_flagged = False

    def call(self, method: str, service: str, path: str, user: str, body: Any = None) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"{self.services.url(service)}{path}",
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.tokens[user]}"},
            method=method,
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else None

    def ok(self, method: str, service: str, path: str, user: str, body: Any = None) -> Any:
        status, answer = self.call(method, service, path, user, body)
        if status >= 300:
            raise RuntimeError(f"demo seed: {method} {path} as {user}: {status} {answer}")
        return answer

    def once_known(self, path: str, user: str, body: Any) -> Any:
        """POST to interventions once it has learnt of the person from the bus (a moment after
        the registration)."""
        deadline = time.monotonic() + 30
        while True:
            status, answer = self.call("POST", "interventions", path, user, body)
            if status < 300:
                return answer
            unknown = isinstance(answer, dict) and str(answer.get("code", "")).endswith("unknown_person")
            if not unknown or time.monotonic() > deadline:
                raise RuntimeError(f"demo seed: POST {path}: {status} {answer}")
            time.sleep(0.1)


class BusinessDay:
    """The services' business day, moved as a rehearsal moves it: restarted with the clock offset
    (``GSI_CLOCK_OFFSET_DAYS``, on top of the one they run with) that makes it the day asked.
    Tokens outlive a restart (the development issuer's key is in the data folder)."""

    def __init__(self, services: ServiceProcesses, today: date) -> None:
        self.services, self.today, self.day = services, today, today
        self.base = int(services.env.get(OFFSET, os.environ.get(OFFSET, "0")))

    def move_to(self, day: date) -> None:
        if day != self.day:
            self.services.stop()
            self.services.env = {**self.services.env, OFFSET: str(self.base + (day - self.today).days)}
            self.services.start()
            self.day = day


def tokens(services: ServiceProcesses) -> dict[str, str]:
    issuer = services.url("registration")
    minted = {}
    for user in USERS:
        status, body = post_json(f"{issuer}/dev/token", {**user, "ttl_minutes": 8 * 60})
        if status != 200:
            raise RuntimeError(f"could not mint a token for {user['user_id']}: {status} {body}")
        minted[user["user_id"]] = body["access_token"]
    return minted


def seed(services: ServiceProcesses, data_dir: Path, today: date) -> bool:
    """Seed once and print what was seeded (French, then English); False if already seeded."""
    marker = data_dir / "demo-seeded"
    if marker.exists():
        return False
    started = time.monotonic()
    demo = Demo(services, today)
    people = plan(demo.served_on)
    business_day = BusinessDay(services, today)
    try:
        business_day.move_to(demo.served_on)
        _registry(demo, people)
        with ThreadPoolExecutor(max_workers=4) as pool:  # the services overlap the client's work
            list(pool.map(lambda p: _register(demo, p), people))
            list(pool.map(lambda p: _serve(demo, p), [p for p in people if p.acts]))
        for org in SESSIONS:
            _hold_session(demo, org, people)
        business_day.move_to(demo.closed_on)
        _close_quarter(demo, people)
    finally:
        business_day.move_to(today)
    _register_duplicate(demo)
    _until(lambda: _request_exception(demo), "the lock reaches interventions")
    reports = {
        org: demo.ok("GET", "reporting", f"/reports/{org}/{demo.quarter}", REVIEWER) for org in ORGANIZATIONS
    }
    reports["current"] = demo.ok("GET", "reporting", f"/reports/{SHERBROOKE}/{demo.current}", REVIEWER)
    text = summary(demo, people, reports, time.monotonic() - started)
    print(text, flush=True)
    marker.write_text(f"{today.isoformat()}\n{text}")
    return True


def seeded_summary(data_dir: Path) -> str | None:
    """The summary printed when the data folder was seeded (for later starts to print again)."""
    marker = data_dir / "demo-seeded"
    return marker.read_text().partition("\n")[2] or None if marker.exists() else None


def _registry(demo: Demo, people: list[Person]) -> None:
    """Organizations with their contacts, the reviewer's assignments, agreements with targets:
    three years from the first day of the seeded quarter (the quarters before owe no report)."""
    start = demo.quarter.first_day
    periods = ("year", *(f"Q{n}" for n in range(demo.quarter.number, 5)))
    # The reviewer's address and language, for the ministry's notices (notifications' directory).
    reviewer = {"email": "nadia.lavoie@mifi.gouv.qc.ca", "name": "Nadia Lavoie", "language": "fr"}
    demo.ok("PUT", "notifications", f"/ministry-contacts/{REVIEWER}", ADMIN, reviewer)
    for org_id, org in ORGANIZATIONS.items():
        contacts = [dict(zip(("name", "email", "role", "language"), c, strict=True)) for c in org.contacts]
        body = {"organization_id": org_id, "name": org.name, "regions": [org.region], "contacts": contacts}
        demo.ok("POST", "reporting", "/organizations", ADMIN, body)
        demo.ok("PUT", "reporting", f"/organizations/{org_id}/reviewers/{REVIEWER}", ADMIN)
        agreement = {
            "organization_id": org_id,
            "program": "PASI",
            "starts_on": start.isoformat(),
            "ends_on": (date(start.year + 3, start.month, 1) - timedelta(days=1)).isoformat(),
            "volets": list(org.volets),
            "funding": [{"fiscal_year": demo.year, "amount_cents": org.funding_dollars * 100}],
            "targets": targets(demo.year, org, [p for p in people if p.org == org_id], periods),
        }
        demo.ok("POST", "reporting", "/agreements", ADMIN, agreement)


def _register(demo: Demo, person: Person) -> None:
    created = demo.ok("POST", "registration", "/persons", clerk_of(person.org), person.body)
    person.person_id = created["person_id"]


def _register_duplicate(demo: Demo) -> None:
    org, known = DUPLICATE
    body = known_person(org, known, demo.today - timedelta(days=30)).body
    created = demo.ok("POST", "registration", "/persons", clerk_of(org), body)
    demo.duplicate_flagged = bool(created["possible_duplicate"])


def _serve(demo: Demo, person: Person) -> None:
    """The person's action plan first (follow-ups need it), then each intervention."""
    user, day = clerk_of(person.org), demo.served_on.isoformat()
    if person.needs:
        opened = {
            "person_id": person.person_id,
            "opened_on": day,
            "needs": person.needs,
            "objectives": ["Trouver un logement permanent", "S'inscrire aux cours de français"],
            "planned_services": [
                {"code": "SUI", "planned_on": (demo.served_on + timedelta(days=14)).isoformat()}
            ],
        }
        demo.once_known("/action-plans", user, opened)
    for act in person.acts:
        if not act.session:
            declared = demo.once_known(
                "/interventions", user, {"person_id": person.person_id, **_details(act, day)}
            )
            act.intervention_id = declared["intervention_id"]


def _details(act: Act, day: str) -> dict[str, Any]:
    return {
        "code": act.code,
        "service_date": day,
        "duration_minutes": _minutes(act),
        "mode": "group" if act.session else "in_person",
        "volet": act.volet,
        "staff_member": act.staff,
    }


def _minutes(act: Act) -> int:
    if act.check == "C8":
        return 540  # over the catalogue's 480: a warning
    return 120 if act.session else 30 + 15 * (len(act.staff) % 4)


def _hold_session(demo: Demo, org: str, people: list[Person]) -> None:
    attending = [(p, a) for p in people if p.org == org for a in p.acts if a.session]
    body = {
        **_details(attending[0][1], demo.served_on.isoformat()),
        "title": SESSIONS[org][1],
        "attendees": [p.person_id for p, _ in attending],
    }
    held = demo.once_known("/group-sessions", clerk_of(org), body)
    for person, act in attending:
        act.intervention_id = held["interventions"][person.person_id]


# ---- the quarter's reports: one organization per state ---------------------------------------


def _close_quarter(demo: Demo, people: list[Person]) -> None:
    """After the quarter's end — Québec: submitted with its errors, in the reviewer's queue.
    Montréal: rejected, a reason on each follow-up without a plan. Sherbrooke: accepted with no
    error, then locked (it then asks for a lock exception). Gatineau: accepted, not locked yet."""
    path = {org: f"/reports/{org}/{demo.quarter}" for org in ORGANIZATIONS}
    for org in ORGANIZATIONS:
        _verified(demo, org, [p for p in people if p.org == org])
        demo.ok("POST", "reporting", f"{path[org]}/submit", manager_of(org))
    for org in (MONTREAL, SHERBROOKE, GATINEAU):
        demo.ok("POST", "reporting", f"{path[org]}/take", REVIEWER)
    reasons = [
        {"intervention_id": a.intervention_id, "reason": "Suivi (SUI) sans plan d'action actif"}
        for p in people
        for a in p.acts
        if p.org == MONTREAL and a.check == "C5"
    ]
    rejection = {
        "reason": "Suivis sans plan d'action : ouvrez les plans, répondez, resoumettez.",
        "items": reasons,
    }
    demo.ok("POST", "reporting", f"{path[MONTREAL]}/reject", REVIEWER, rejection)
    demo.ok("POST", "reporting", f"{path[SHERBROOKE]}/accept", REVIEWER, {})
    demo.ok("POST", "reporting", f"{path[SHERBROOKE]}/lock", REVIEWER)
    demo.ok("POST", "reporting", f"{path[GATINEAU]}/accept", REVIEWER, {})


def _verified(demo: Demo, org: str, people: list[Person]) -> None:
    """Verify once reporting has counted every intervention and learnt every person and plan:
    errors on the deliberate non-conformities only (and the first of a pair entered twice)."""
    path = f"/reports/{org}/{demo.quarter}"
    count = sum(len(p.acts) for p in people)
    allowed = {
        a.intervention_id
        for p in people
        for a in p.acts
        if a.check or any(f.check == "C4" and f.code == a.code for f in p.acts)
    }
    _until(
        lambda: demo.ok("GET", "reporting", path, manager_of(org))["interventions_count"] == count,
        f"reporting counts {org}'s interventions",
    )

    def clean() -> bool:
        findings = demo.ok("POST", "reporting", f"{path}/verify", manager_of(org))["findings"]
        return {f["intervention_id"] for f in findings if f["severity"] == "error"} <= allowed

    _until(clean, f"{org}'s checks find only the deliberate non-conformities", pause=0.5)


def _request_exception(demo: Demo) -> bool:
    """Sherbrooke asks to change its locked quarter (refused until the lock reaches interventions)."""
    body = {"quarter": str(demo.quarter), "reason": "Deux accueils du trimestre saisis en retard"}
    status, answer = demo.call("POST", "interventions", "/lock-exceptions", clerk_of(SHERBROOKE), body)
    if status != 201 and answer.get("code") != "lock_exception.quarter_not_locked":
        raise RuntimeError(f"demo seed: lock exception: {status} {answer}")
    return status == 201


def _until(check: Callable[[], bool], what: str, timeout_s: float = 30, pause: float = 0.1) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"demo seed: timed out waiting until {what}")
        time.sleep(pause)
