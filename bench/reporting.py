"""``uv run python -m bench.reporting``: the reporting service on PostgreSQL, in-process.

1. *verify* of one organization's quarter of 20,000 interventions (~4,000 persons, most with an
   action plan, a sprinkle of non-conformities — :func:`bench.conformity.workload`), seeded
   straight into reporting's projection tables, with 5,000 more interventions of the same
   persons at other organizations in the previous quarter (they count for the set-based checks):
   the check run alone, then ``POST …/verify`` and ``POST …/submit`` end to end (HTTP, checks,
   event, projection);
2. the reviewers' queue and dashboard-like lists over 120 organizations × 8 quarters of reports
   (seeded into the reports table): p50 / p95 of each request over HTTP;
3. the program-wide indicators over two fiscal years of a program-sized history
   (:mod:`bench.reporting_indicators`). ``--parts`` picks some of the three.

Needs ``GSI_TEST_DATABASE_URL`` (``make bench`` starts PostgreSQL). Figures are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert

from bench import reporting_indicators as indicators
from bench.conformity import QUARTER, workload
from bench.registration import drop_schema
from gsi_conformity import Item, PersonRecord
from gsi_kernel.clock import FixedClock
from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.runtime import Kernel
from reporting.bootstrap import build, build_app
from reporting.counting.domain import fiscal_year_of, quarter_number_of
from reporting.registry_projection import reviewer_assignments
from reporting.settings import ReportingSettings
from reporting.tables import (
    intervention_versions,
    known_action_plans,
    known_person_statuses,
    known_persons,
    quarter_interventions,
    reports,
)

ORG = "org-bench"
REVIEWER = "nadia"
NOW = datetime(2026, 7, 10, 15, 0, tzinfo=UTC)
ORGANIZATIONS = [f"org-{n:03d}" for n in range(120)]
QUARTERS = [FiscalQuarter(2024, 2)]
for _ in range(7):
    QUARTERS.append(QUARTERS[-1].next())  # 2024-2025-Q2 … 2026-2027-Q1


def _intervention_row(item: Item, organization: str, quarter: FiscalQuarter) -> dict[str, Any]:
    return {
        "intervention_id": item.intervention_id,
        "organization_id": organization,
        "quarter": str(quarter),
        "person_id": item.person_id,
        "code": item.code,
        "service_date": item.service_date,
        "volet": item.volet,
        "mode": item.mode,
        "duration_minutes": item.duration_minutes,
        "staff_member": item.staff_member,
        "target_organization": item.target_organization,
        "referral_reason": item.referral_reason,
        "session_id": item.session_id,
        **_counted(item.person_id, item.service_date),
    }


def _counted(person_id: str, day: date) -> dict[str, Any]:
    """What the counts read of an intervention or plan: its person (none merged here) and cell."""
    return {
        "counted_person_id": person_id,
        "fiscal_year": fiscal_year_of(day),
        "quarter_number": quarter_number_of(day),
    }


def seed_quarter(kernel: Kernel, size: int, persons_count: int) -> int:
    items, persons = workload(size, persons_count)
    rows = [_intervention_row(i, ORG, QUARTER) for i in items]
    earlier = QUARTER.first_day - timedelta(days=45)
    elsewhere = [
        {**rows[n % len(rows)], "intervention_id": f"x-{n:06d}", "organization_id": "org-other",
         "quarter": str(FiscalQuarter.of(earlier)), "code": "PDI", "service_date": earlier, "session_id": None,
         "fiscal_year": fiscal_year_of(earlier), "quarter_number": quarter_number_of(earlier)}
        for n in range(5_000)
    ]  # fmt: skip
    with kernel.db.transaction() as connection:
        _persons(connection, persons.values())
        current = [{**r, "version": 1, "status": "active"} for r in rows + elsewhere]
        connection.execute(insert(quarter_interventions), current)
        versions = [{k: v for k, v in r.items() if k in intervention_versions.c} for r in rows + elsewhere]
        connection.execute(insert(intervention_versions), [{**r, "version": 1} for r in versions])
    return len(items)


def _persons(connection: Any, records: Any) -> None:
    people, statuses, plans = [], [], []
    for record in records:
        assert isinstance(record, PersonRecord)
        facts = record.facts
        people.append(
            {"person_id": record.person_id, "organization_id": ORG, "birth_date": facts.birth_date,
             "region": facts.region, "registered_on": record.registered_on, "erased": False}
        )  # fmt: skip
        statuses += [
            {"person_id": record.person_id, "seq": n, "status": p.status, "effective_from": p.effective_from,
             "admission_date": p.admission_date, "expires_on": p.expires_on}
            for n, p in enumerate(facts.statuses, start=1)
        ]  # fmt: skip
        plans += [
            {"plan_id": str(uuid.uuid4()), "organization_id": ORG, "person_id": record.person_id,
             "opened_on": opened, "closed_on": closed, **_counted(record.person_id, opened)}
            for opened, closed in record.action_plans
        ]  # fmt: skip
    connection.execute(insert(known_persons), people)
    connection.execute(insert(known_person_statuses), statuses)
    connection.execute(insert(known_action_plans), plans)


def _state(quarter_index: int, org_index: int) -> str:
    """Older quarters locked (a few only accepted); the last two still in the workflow."""
    if quarter_index < 6:
        return "accepted" if org_index % 17 == 0 else "locked"
    if quarter_index == 6:
        return ("accepted", "locked", "rejected", "under_control")[org_index % 4]
    return ("draft", "submitted", "submitted", "under_control", "rejected")[org_index % 5]


def seed_reports(kernel: Kernel) -> None:
    rows = []
    for qi, quarter in enumerate(QUARTERS):
        for oi, org in enumerate(ORGANIZATIONS):
            submitted = datetime.combine(quarter.last_day, datetime.min.time(), UTC) + timedelta(
                days=20 + oi % 15
            )
            state = _state(qi, oi)
            rows.append(
                {"report_id": f"report-{org}-{quarter}", "organization_id": org, "quarter": str(quarter),
                 "state": state, "submission_version": 0 if state == "draft" else 1 + oi % 2,
                 "interventions_count": 1_500 + oi, "persons_count": 300 + oi, "errors": oi % 3,
                 "warnings": oi % 7, "sha256": None if state == "draft" else "0" * 64,
                 "submitted_at": None if state == "draft" else submitted,
                 "submission_due": quarter.last_day + timedelta(days=30), "late": oi % 11 == 0,
                 "control_due": None if state == "draft" else submitted.date() + timedelta(days=30),
                 "rejection_count": 1 if state == "rejected" else 0, "updated_at": submitted,
                 "updated_by": "bench"}
            )  # fmt: skip
    # The reviewer's 14 organizations, in the registry the services authorize reviewers from
    # (ADR 23; the token's claim is ignored).
    assigned = [
        {"organization_id": org, "reviewer_id": REVIEWER, "assigned_at": NOW, "assigned_by": "bench"}
        for org in ORGANIZATIONS[:14]
    ]
    with kernel.db.transaction() as connection:
        connection.execute(insert(reports), rows)
        connection.execute(insert(reviewer_assignments), assigned)


def _line(label: str, times: list[float]) -> None:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    print(
        f"{label:<58} p50 {statistics.median(times) * 1000:>7.1f} ms  p95 {p95 * 1000:>7.1f} ms"
        f"  (n={len(times)})"
    )


def bench_verify(client: TestClient, kernel: Kernel, tokens: dict[str, dict[str, str]], repeat: int) -> None:
    headers = tokens["manager"]
    reports_app = client.app.state.reports  # type: ignore[attr-defined]
    verifier = reports_app._verifier
    with kernel.db.transaction() as connection:
        verdict = verifier.run(connection, ORG, QUARTER, NOW.date())
    s = verdict.verification.summary
    print(
        f"verify findings: {s.errors:,} errors, {s.warnings:,} warnings; persons {verdict.verification.persons_count:,}"
    )

    def run_checks() -> None:
        with kernel.db.transaction() as connection:
            verifier.run(connection, ORG, QUARTER, NOW.date())

    _line("verify: load + check (app layer, no write)", indicators.timed(run_checks, repeat))
    url = f"/reports/{ORG}/{QUARTER}"
    _cover(client, tokens["admin"])  # only a quarter an agreement covers may be submitted

    def verify_http() -> None:
        assert client.post(f"{url}/verify", headers=headers).status_code == 200

    _line("verify: POST …/verify (checks, event, response)", indicators.timed(verify_http, repeat))

    def submit_http() -> None:
        answer = client.post(f"{url}/submit", headers=headers)
        assert answer.status_code == 200, answer.text

    _line("submit: POST …/submit (checks, snapshot, event, projection)", indicators.timed(submit_http, 1))
    ministry = tokens["admin"]
    steps = [("take", None), ("accept", {"override_reason": "bench"}), ("lock", None)]
    for step, body in steps:

        def decide(step: str = step, body: dict[str, str] | None = body) -> None:
            answer = client.post(f"{url}/{step}", headers=ministry, json=body)
            assert answer.status_code == 200, answer.text

        _line(f"{step}: POST …/{step} (loads the 20,000-item submission event)", indicators.timed(decide, 1))
    integrity = indicators.timed(lambda: client.get(f"{url}/integrity", headers=ministry), repeat)
    _line("integrity: GET …/integrity (recomputes the snapshot)", integrity)


def _cover(client: TestClient, admin: dict[str, str]) -> None:
    """The organization in the registry, and an agreement with every volet (C1's findings stay
    those of no agreement) covering the benchmarked quarter."""
    organization = {"organization_id": ORG, "name": "Organisme du banc d'essai", "regions": ["05"]}
    assert client.post("/organizations", headers=admin, json=organization).status_code == 201
    agreement = {
        "organization_id": ORG, "program": "PASI", "starts_on": QUARTER.first_day.isoformat(),
        "ends_on": QUARTER.last_day.isoformat(), "volets": ["V1", "V2", "V3", "V4", "V5"],
    }  # fmt: skip
    assert client.post("/agreements", headers=admin, json=agreement).status_code == 201


def bench_lists(client: TestClient, headers: dict[str, dict[str, str]], repeat: int) -> None:
    requests = [
        ("queue: reviewer of 14 organizations", "/reports/queue", headers["reviewer"]),
        ("queue: admin, all 120 organizations", "/reports/queue?limit=200", headers["admin"]),
        (
            "overview: admin, fiscal year by quarter and state",
            "/reports/overview?fiscal_year=2025-2026",
            headers["admin"],
        ),
        (
            "list: admin, one quarter (page of 200)",
            f"/reports?quarter={QUARTERS[-1]}&limit=200",
            headers["admin"],
        ),
        ("list: reviewer, all quarters of assigned orgs", "/reports?limit=200", headers["reviewer"]),
        (
            "report: reviewer reads one report",
            f"/reports/{ORGANIZATIONS[3]}/{QUARTERS[-1]}",
            headers["reviewer"],
        ),
    ]
    for label, path, who in requests:
        assert client.get(path, headers=who).status_code == 200, path

        def get(path: str = path, who: dict[str, str] = who) -> None:
            client.get(path, headers=who)

        _line(label, indicators.timed(get, repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--interventions", type=int, default=20_000)
    parser.add_argument("--persons", type=int, default=4_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--indicator-interventions", type=int, default=250_000, help="a fiscal year's")
    parser.add_argument("--parts", default="verify,lists,indicators", help="comma-separated parts to run")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    schema = f"bench_reporting_{os.getpid()}"
    with tempfile.TemporaryDirectory() as data_dir:
        settings = ReportingSettings(
            data_dir=Path(data_dir),
            database_url=os.environ["GSI_TEST_DATABASE_URL"],
            db_schema=schema,
            run_workers=False,
            log_level="WARNING",
        )
        container = build(settings, clock=FixedClock(NOW))
        kernel = container.kernel
        try:
            with TestClient(build_app(container)) as client:
                count = seed_quarter(kernel, args.interventions, args.persons)
                seed_reports(kernel)
                print(
                    f"PostgreSQL: {count:,} interventions of {ORG} in {QUARTER}; {len(ORGANIZATIONS)} organizations × {len(QUARTERS)} quarters of reports"
                )
                token = _tokens(client)
                if "verify" in parts:
                    bench_verify(client, kernel, token, args.repeat)
                if "lists" in parts:
                    bench_lists(client, token, args.requests)
                if "indicators" in parts:
                    indicators.prepare(kernel, args.indicator_interventions)
                    indicators.bench(client, kernel, token["admin"], args.requests // 3, _line)
        finally:
            drop_schema(schema)


def _tokens(client: TestClient) -> dict[str, dict[str, str]]:
    def mint(**claims: Any) -> dict[str, str]:
        answer = client.post("/dev/token", json=claims)
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    return {
        "manager": mint(user_id="sophie", roles=["org_manager"], organization=ORG),
        "reviewer": mint(user_id=REVIEWER, roles=["ministry_reviewer"]),
        "admin": mint(user_id="adele", roles=["admin"]),
    }


if __name__ == "__main__":
    main()
