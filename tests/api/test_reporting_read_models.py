"""Reporting's one read model of interventions and one of action plans (ADR 31), on SQLite and
PostgreSQL: an event is applied once, by the one ``reporting.interventions`` consumer, and what
reads a quarter (the report's live counts, verification) and what reads the year (targets,
indicators) both see it; a redelivered event changes nothing; a bad one is dead-lettered.
Revision 0009 carries the rows of the four tables it merges into two."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, insert, select, text

from gsi_contracts import interventions as contract
from gsi_contracts import registration
from gsi_kernel.bus.port import Record
from gsi_kernel.clock import FixedClock
from gsi_kernel.consumer import ConsumerRunner, Outcome
from gsi_kernel.migrations import upgrade
from gsi_kernel.store.tables import dead_letters, processed
from reporting.bootstrap import MIGRATIONS, build, build_app
from reporting.counting import rebuild as performance
from reporting.knowledge import interventions as interventions_projection
from reporting.performance_tables import perf_counts, perf_first_services, perf_presence
from reporting.settings import ReportingSettings
from reporting.tables import known_action_plans, known_persons, quarter_interventions
from tests.api.conftest import ReportingService
from tests.consumers import deliver, published
from tests.databases import postgres_schema

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
FY, QUARTER = "2026-2027", "2026-2027-Q2"


@contextmanager
def _settings(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReportingSettings]:
    """SQLite, or a fresh schema of the real PostgreSQL."""
    settings = ReportingSettings(data_dir=tmp_path, run_workers=False)
    if backend == "sqlite":
        yield settings
        return
    url = request.getfixturevalue("postgres_url")
    with postgres_schema(url) as schema:
        yield settings.model_copy(update={"database_url": url, "db_schema": schema})


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReportingService]:
    with _settings(request.param, request, tmp_path) as settings:
        clock = FixedClock(NOW)
        container = build(settings, clock=clock)
        with TestClient(build_app(container)) as client:
            yield ReportingService(client, clock, container.kernel)
        container.kernel.db.dispose()


def _declared(person_id: str, **changes: Any) -> contract.InterventionDeclared:
    values: dict[str, Any] = {
        "intervention_id": str(uuid.uuid4()), "person_id": person_id, "organization_id": "org-a",
        "code": "ACC", "service_date": date(2026, 8, 10), "volet": "V1", "duration_minutes": 45,
        "staff_member": "karine",
    }  # fmt: skip
    return contract.InterventionDeclared(**{**values, **changes})


def _seen(s: ReportingService) -> tuple[int, int, int, int]:
    """What each former reader sees of org-a: the report's live counts of the quarter
    (interventions, persons), the organization's targets (persons in the quarter) and the
    program's indicators (interventions of the year)."""
    report = s.client.get(f"/reports/org-a/{QUARTER}", headers=s.headers("mona", ["org_manager"], "org-a"))
    admin = s.headers("adele", ["admin"])
    targets = s.client.get(f"/targets/org-a/{FY}", headers=admin).json()
    indicators = s.client.get(f"/indicators/{FY}", headers=admin).json()
    return (
        report.json()["interventions_count"],
        report.json()["persons_count"],
        targets["quarters"][1]["in_quarter"]["unique_persons"]["actual"],
        indicators["interventions_total"],
    )


def test_an_intervention_feeds_the_one_table_once_and_every_reader_sees_it(service: ReportingService) -> None:
    s = service
    s.register_person("org-a", person_id="kept")
    s.register_person("org-a", person_id="duplicate")
    s.receive(registration.PersonsMerged(person_id="duplicate", into_person_id="kept"))
    envelope = published(_declared("duplicate"), occurred_at=NOW)
    assert deliver(s.kernel, envelope) == 1  # one consumer of reporting follows declarations
    handler = interventions_projection.consumer().handlers[envelope.type]
    with s.kernel.db.transaction() as connection:  # again, past the processed bookkeeping
        handler(connection, envelope)
    assert deliver(s.kernel, envelope) == 1
    i = quarter_interventions.c
    with s.kernel.db.transaction() as connection:
        rows = connection.execute(
            select(i.person_id, i.counted_person_id, i.quarter, i.fiscal_year, i.quarter_number, i.version)
        ).all()
    # declared as the organization declared it (what verification names), counted as the survivor
    assert [tuple(r) for r in rows] == [("duplicate", "kept", QUARTER, FY, 2, 1)]
    assert _seen(s) == (1, 1, 1, 1)
    verified = s.client.post(
        f"/reports/org-a/{QUARTER}/verify", headers=s.headers("mona", ["org_manager"], "org-a")
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["interventions_count"] == 1


def test_a_plan_is_known_once_for_the_checks_and_the_counts(service: ReportingService) -> None:
    s = service
    s.register_person("org-a", person_id="p")
    s.receive(_declared("p"))
    opened = published(
        contract.ActionPlanOpened(
            plan_id="plan-1", person_id="p", organization_id="org-a", opened_on=date(2026, 8, 1)
        ),
        occurred_at=NOW,
    )
    assert deliver(s.kernel, opened) == 1
    handler = interventions_projection.consumer().handlers[opened.type]
    with s.kernel.db.transaction() as connection:
        handler(connection, opened)  # redelivered past the bookkeeping: counted once still
    s.receive(contract.ActionPlanClosed(plan_id="plan-1", person_id="p", organization_id="org-a",
              closed_on=date(2026, 10, 1)))  # fmt: skip
    p = known_action_plans.c
    with s.kernel.db.transaction() as connection:
        plans = connection.execute(
            select(p.person_id, p.counted_person_id, p.closed_on, p.fiscal_year, p.quarter_number)
        ).all()
        counted = connection.execute(
            select(perf_counts.c.value).where(perf_counts.c.measure == "action_plans")
        ).scalars()
        assert list(counted) == [1]
    assert [tuple(r) for r in plans] == [("p", "p", date(2026, 10, 1), FY, 2)]
    indicators = s.client.get(f"/indicators/{FY}", headers=s.headers("adele", ["admin"])).json()
    assert indicators["persons_with_action_plan"] == 1


def test_a_bad_intervention_event_is_dead_lettered_and_changes_nothing(service: ReportingService) -> None:
    s = service
    spec = interventions_projection.consumer()
    runner = ConsumerRunner(
        name=spec.name, db=s.kernel.db, bus=s.kernel.bus, topics=spec.topics, handlers=spec.handlers,
        clock=s.kernel.clock, telemetry=s.kernel.telemetry, max_attempts=1, backoff_s=0.0,
    )  # fmt: skip
    bad = published(_declared("p"), occurred_at=NOW)
    bad = replace(bad, payload={**bad.payload, "service_date": "not a day"})
    record = Record(topic=contract.TOPIC, partition=0, offset=0, key="k", value=bad.to_bytes())
    try:
        assert runner.handle(record) == Outcome.DEAD_LETTERED
        assert runner.handle(record) == Outcome.DEAD_LETTERED  # redelivered: dead already
    finally:
        runner.close()
    with s.kernel.db.transaction() as connection:
        assert connection.execute(select(quarter_interventions)).all() == []
        assert connection.execute(select(perf_counts)).all() == []
        letters = connection.execute(select(dead_letters.c.consumer)).scalars().all()
    assert letters == ["reporting.interventions"]


# ---- revision 0009 ----------------------------------------------------------------------------


def _old_row(intervention_id: str, person_id: str, version: int = 1, **changes: Any) -> dict[str, Any]:
    day = changes.pop("service_date", date(2026, 5, 4))
    return {"intervention_id": intervention_id, "organization_id": "org-a", "person_id": person_id,
            "code": "ACC", "service_date": day, "version": version, "status": "active", "volet": "V1",
            **changes}  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_upgrade_keeps_the_rows_of_both_former_tables(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A database at revision 0008, each consumer's tables as it kept them: the current
    interventions by declared person, the performance ones by surviving person; a plan closed
    (known to the checks' table only), a plan only the performance consumer had seen yet."""
    with _settings(backend, request, tmp_path) as settings:
        url, schema = settings.resolved_database_url, settings.resolved_schema
        upgrade(url, schema, MIGRATIONS, "0008")
        kernel = build(settings, clock=FixedClock(NOW)).kernel
        with kernel.db.transaction() as connection:
            _at_0008(connection)
        upgrade(url, schema, MIGRATIONS)
        with kernel.db.transaction() as connection:
            i, p = quarter_interventions.c, known_action_plans.c
            interventions = connection.execute(
                select(i.intervention_id, i.person_id, i.counted_person_id, i.fiscal_year, i.quarter_number,
                       i.version, i.status, i.volet).order_by(i.intervention_id)
            ).all()  # fmt: skip
            plans = connection.execute(
                select(
                    p.plan_id, p.person_id, p.counted_person_id, p.closed_on, p.fiscal_year, p.quarter_number
                ).order_by(p.plan_id)
            ).all()
            migrated = _counting(connection)
            performance.rebuild(connection)
            assert _counting(connection) == migrated
            left = connection.execute(select(processed.c.consumer)).scalars().all()
            tables = set(_names(connection))
        kernel.db.dispose()
    assert [tuple(r) for r in interventions] == [
        ("i-1", "duplicate", "kept", "2026-2027", 1, 2, "active", "V2"),  # as the performance table
        ("i-2", "gone", "kept", "2026-2027", 3, 1, "cancelled", "V1"),  # rekeyed through the merges
        ("i-3", "kept", "kept", "2025-2026", 4, 1, "active", "V1"),
    ]
    assert [tuple(r) for r in plans] == [
        ("plan-1", "duplicate", "kept", date(2026, 9, 1), "2026-2027", 1),
        ("plan-2", "kept", "kept", None, "2025-2026", 4),  # the performance table's only
    ]
    counts = migrated[0]  # from the merged tables, the cancelled one out
    assert sum(v for k, v in counts.items() if k[3] == "interventions") == 2
    assert counts[("2026-2027", 1, "org-a", "interventions", "ACC")] == 1
    assert counts[("2025-2026", 4, "org-a", "interventions", "ACC")] == 1
    assert counts[("2026-2027", 0, "", "persons", "")] == 1  # i-1 counts under "kept"
    assert counts[("2025-2026", 4, "org-a", "action_plans", "")] == 1  # plan-2 carried
    assert counts[("2025-2026", 0, "", "persons_with_plan", "")] == 1
    assert left == ["reporting.interventions"]  # the bookkeeping of the consumer that went is gone
    assert not tables & {"perf_interventions", "perf_action_plans"}


def _at_0008(connection: Any) -> None:
    old = MetaData()
    old.reflect(connection, only=["quarter_interventions", "perf_interventions", "known_action_plans",
                                  "perf_action_plans", "processed"])  # fmt: skip
    t = old.tables
    connection.execute(insert(known_persons), [
        {"person_id": p, "organization_id": "org-a", "birth_date": date(1990, 1, 1), "region": "05",
         "registered_on": date(2025, 1, 1), "erased": False, "merged_into": into}
        for p, into in (("gone", "duplicate"), ("duplicate", "kept"), ("kept", None))
    ])  # fmt: skip
    declared = [
        _old_row("i-1", "duplicate", 2, volet="V2"),
        _old_row("i-2", "gone", status="cancelled", service_date=date(2026, 11, 2)),
        _old_row("i-3", "kept", service_date=date(2026, 2, 2)),
    ]
    connection.execute(insert(t["quarter_interventions"]), [
        {**row, "quarter": q, "mode": "individual"}
        for row, q in zip(declared, ("2026-2027-Q1", "2026-2027-Q3", "2025-2026-Q4"), strict=True)
    ])  # fmt: skip
    connection.execute(insert(t["perf_interventions"]), [
        {k: v for k, v in row.items() if k != "volet"} | {"person_id": "kept", "fiscal_year": fy,
                                                          "quarter_number": q}
        for row, fy, q in ((declared[0], "2026-2027", 1), (declared[2], "2025-2026", 4))
    ])  # fmt: skip
    connection.execute(insert(t["known_action_plans"]), [
        {"plan_id": "plan-1", "organization_id": "org-a", "person_id": "duplicate",
         "opened_on": date(2026, 5, 1), "closed_on": date(2026, 9, 1)},
    ])  # fmt: skip
    connection.execute(insert(t["perf_action_plans"]), [
        {"plan_id": p, "organization_id": "org-a", "person_id": "kept", "opened_on": day,
         "fiscal_year": fy, "quarter_number": q}
        for p, day, fy, q in (("plan-1", date(2026, 5, 1), "2026-2027", 1),
                              ("plan-2", date(2026, 3, 1), "2025-2026", 4))
    ])  # fmt: skip
    connection.execute(insert(t["processed"]), [
        {"consumer": c, "event_id": str(uuid.uuid4()), "outcome": "applied", "processed_at": NOW}
        for c in ("reporting.interventions", "reporting.performance")
    ])  # fmt: skip


def _counting(connection: Any) -> tuple[dict[tuple[Any, ...], int], set[Any], set[Any]]:
    counts = {tuple(r[:-1]): r[-1] for r in connection.execute(select(perf_counts))}
    return (
        counts,
        set(connection.execute(select(perf_presence))),
        set(connection.execute(select(perf_first_services))),
    )


def _names(connection: Any) -> list[str]:
    if connection.dialect.name == "sqlite":
        return list(connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars())
    query = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    return list(connection.execute(text(query)).scalars())
