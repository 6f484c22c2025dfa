"""The counting tables behind the program indicators, on SQLite and PostgreSQL: kept one event at
a time by reporting's consumers (declarations, corrections that move an intervention to another
quarter, year, organization or person, cancellations, plans, persons registered late or moving
to another region), they always equal both a count made afresh from the interventions, plans and
persons known, and a rebuild from scratch. The migration fills them the same way."""

from __future__ import annotations

import importlib.util
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, Table, insert, select, text

from gsi_contracts import interventions as contract
from gsi_contracts import registration
from gsi_kernel.clock import FixedClock
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.fiscal import FiscalQuarter
from gsi_kernel.migrations import upgrade
from gsi_kernel.runtime import ConsumerSpec
from reporting.bootstrap import MIGRATIONS, build, build_app
from reporting.calendar.business_days import business_days_between
from reporting.calendar.domain import default_calendar, load_defaults
from reporting.counting import rebuild as performance
from reporting.counting.domain import fiscal_year_of
from reporting.knowledge import interventions as interventions_projection
from reporting.knowledge import persons as persons_projection
from reporting.performance.first_service import first_service_delays
from reporting.performance_tables import perf_counts, perf_first_services, perf_presence
from reporting.settings import ReportingSettings
from reporting.tables import (
    known_action_plans,
    known_person_statuses,
    known_persons,
    quarter_interventions,
)
from tests.api.conftest import ReportingService
from tests.consumers import published
from tests.databases import postgres_schema

NOW = datetime(2027, 5, 20, 15, 0, tzinfo=UTC)
ORGS = ("org-a", "org-b", "org-c")
CODES = ("ACC", "PDI", "SUI", "REF")
FIRST_DAY, DAYS = date(2025, 4, 1), 730  # fiscal years 2025-2026 and 2026-2027


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReportingService]:
    """The reporting service alone on SQLite, or on a fresh schema of the real PostgreSQL."""
    if request.param == "sqlite":
        yield from _service(ReportingSettings(data_dir=tmp_path, run_workers=False))
        return
    with postgres_schema(request.getfixturevalue("postgres_url")) as schema:
        url = request.getfixturevalue("postgres_url")
        yield from _service(
            ReportingSettings(data_dir=tmp_path, database_url=url, db_schema=schema, run_workers=False)
        )


def _service(settings: ReportingSettings) -> Iterator[ReportingService]:
    clock = FixedClock(NOW)
    container = build(settings, clock=clock)
    with TestClient(build_app(container)) as client:
        yield ReportingService(client, clock, container.kernel)
    container.kernel.db.dispose()


# ---- a random history, and what it should count ----------------------------------------------


@dataclass(frozen=True)
class Intervention:
    person: str
    org: str
    code: str
    day: date
    version: int = 1
    active: bool = True


@dataclass
class Model:
    """What the events said, in plain Python: the oracle the tables are checked against."""

    interventions: dict[str, Intervention]
    plans: list[tuple[str, str, date]]  # person, organization, opened on
    regions: dict[str, str | None]
    arrivals: dict[str, list[date]]
    merged: dict[str, str] = field(default_factory=dict)  # a merged file -> the file it went into

    def resolve(self, person: str) -> str:
        """Whom a person id counts as: the end of its chain of merges."""
        while person in self.merged:
            person = self.merged[person]
        return person


def play(s: ReportingService, seed: int, steps: int) -> Model:
    draw = random.Random(seed)
    model = Model({}, [], {}, {})
    persons = [f"p{n:02d}" for n in range(25)]
    for _ in range(steps):
        roll = draw.random()
        person = draw.choice(persons)
        if roll < 0.30 or not model.interventions:
            iid, new = (
                str(uuid.uuid4()),
                Intervention(person, draw.choice(ORGS), draw.choice(CODES), _day(draw)),
            )
            s.declare(new.org, new.person, intervention_id=iid, code=new.code, service_date=new.day)
        elif roll < 0.55:
            iid = draw.choice(sorted(model.interventions))
            old = model.interventions[iid]
            new = replace(old, version=old.version + 1, active=True, **_moved(draw, old, persons))
            s.declare(new.org, new.person, intervention_id=iid, version=new.version, code=new.code,
                      service_date=new.day)  # fmt: skip
        elif roll < 0.65:
            iid = draw.choice(sorted(model.interventions))
            old = model.interventions[iid]
            new = replace(old, version=old.version + 1, active=False)
            s.receive(contract.InterventionCancelled(intervention_id=iid, person_id=old.person,
                      organization_id=old.org, service_date=old.day, reason="r", version=new.version))  # fmt: skip
        elif roll < 0.70:
            iid = draw.choice(sorted(model.interventions))
            stale = model.interventions[iid]  # seen again: changes nothing
            s.declare(stale.org, stale.person, intervention_id=iid, code="EVB", service_date=_day(draw))
            continue
        elif roll < 0.82:
            plan = (person, draw.choice(ORGS), _day(draw))
            s.receive(contract.ActionPlanOpened(plan_id=str(uuid.uuid4()), person_id=plan[0],
                      organization_id=plan[1], opened_on=plan[2]))  # fmt: skip
            model.plans.append(plan)
            continue
        else:
            _person_event(s, draw, model, person)
            continue
        model.interventions[iid] = new
    return model


def _day(draw: random.Random) -> date:
    return FIRST_DAY + timedelta(days=draw.randrange(DAYS))


def _moved(draw: random.Random, old: Intervention, persons: list[str]) -> dict[str, Any]:
    what = draw.choice(("day", "day", "code", "org", "person"))
    if what == "day":
        return {"day": _day(draw)}
    if what == "code":
        return {"code": draw.choice(CODES)}
    if what == "org":
        return {"org": draw.choice(ORGS)}
    return {"person": draw.choice(persons)}


def _person_event(s: ReportingService, draw: random.Random, model: Model, person: str) -> None:
    region = draw.choice(("03", "05", "06", None))
    admitted = date(2024, 1, 1) + timedelta(days=draw.randrange(900))
    into = [p for p in sorted(model.regions) if p != person and p not in model.merged]
    if person in model.regions and person not in model.merged and into and draw.random() < 0.2:
        survivor = draw.choice(into)  # registration found them to be one person (chains happen)
        s.receive(registration.PersonsMerged(person_id=person, into_person_id=survivor))
        model.merged[person] = survivor
        return
    if person not in model.regions:
        s.receive(registration.PersonRegistered(person_id=person, organization_id="org-a",
                  birth_date=date(1990, 1, 1), status="permanent_resident", status_since=admitted,
                  region=region, admission_date=admitted))  # fmt: skip
    elif draw.random() < 0.5:
        s.receive(registration.PersonRegionChanged(person_id=person, organization_id="org-a", region=region,
                  effective_from=admitted))  # fmt: skip
        model.regions[person] = region
        return
    else:
        s.receive(registration.PersonStatusChanged(person_id=person, organization_id="org-a",
                  status="citizen", effective_from=admitted, admission_date=admitted))  # fmt: skip
    model.regions.setdefault(person, region)
    model.arrivals.setdefault(person, []).append(admitted)


def expected_counts(model: Model) -> dict[tuple[Any, ...], int]:
    counts: dict[tuple[Any, ...], int] = {}
    presence: dict[tuple[str, int, str], set[str]] = {}
    for i in model.interventions.values():
        if not i.active:
            continue
        fy, q = fiscal_year_of(i.day), FiscalQuarter.of(i.day).number
        _bump(counts, (fy, q, i.org, "interventions", i.code))
        for cell in ((fy, q, i.org), (fy, 0, i.org), (fy, q, ""), (fy, 0, "")):
            presence.setdefault(cell, set()).add(model.resolve(i.person))
    for (fy, q, org), persons in presence.items():
        counts[(fy, q, org, "persons", "")] = len(persons)
        if (q, org) == (0, ""):
            for person in persons:
                _bump(counts, (fy, 0, "", "persons_by_region", model.regions.get(person) or ""))
                planned = (opened for p, _, opened in model.plans if model.resolve(p) == person)
                if any(fiscal_year_of(opened) <= fy for opened in planned):
                    _bump(counts, (fy, 0, "", "persons_with_plan", ""))
    for _person, org, opened in model.plans:
        _bump(counts, (fiscal_year_of(opened), FiscalQuarter.of(opened).number, org, "action_plans", ""))
    return counts


def expected_first_services(model: Model) -> dict[str, tuple[date, str, date | None]]:
    firsts: dict[str, date] = {}
    for i in model.interventions.values():
        if i.active:
            person = model.resolve(i.person)
            firsts[person] = min(firsts.get(person, i.day), i.day)
    return {
        p: (day, fiscal_year_of(day), min(model.arrivals[p]) if model.arrivals.get(p) else None)
        for p, day in firsts.items()
    }


def _bump(counts: dict[tuple[Any, ...], int], key: tuple[Any, ...]) -> None:
    counts[key] = counts.get(key, 0) + 1


def tables(s: ReportingService) -> tuple[dict[tuple[Any, ...], int], dict[str, tuple[Any, ...]], set[Any]]:
    with s.kernel.db.transaction() as connection:
        counts = {tuple(r[:-1]): r[-1] for r in connection.execute(select(perf_counts))}
        firsts = {r[0]: tuple(r[1:]) for r in connection.execute(select(perf_first_services))}
        presence = {tuple(r) for r in connection.execute(select(perf_presence))}
    return counts, firsts, presence


# ---- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2])
def test_counts_kept_event_by_event_equal_a_fresh_count_and_a_rebuild(
    service: ReportingService, seed: int
) -> None:
    model = play(service, seed, steps=220)
    assert len(model.merged) >= 2  # the history merges files, chains included
    incremental = tables(service)
    assert incremental[0] == expected_counts(model)
    assert incremental[1] == expected_first_services(model)
    assert all(row[4] > 0 for row in incremental[2])  # no empty presence left behind
    with service.kernel.db.transaction() as connection:
        performance.rebuild(connection)
    assert tables(service) == incremental


def test_moving_an_intervention_to_another_quarter_and_cancelling_decrement(
    service: ReportingService,
) -> None:
    s, admin = service, service.headers("adele", ["admin"])
    s.register_person("org-a", person_id="p-a", region="05")
    first = s.declare("org-a", "p-a", service_date=date(2026, 5, 4))  # Q1
    second = s.declare("org-a", "p-a", code="PDI", service_date=date(2026, 5, 6))  # Q1 again
    s.declare("org-b", "p-a", service_date=date(2026, 8, 4))  # Q2, another organization

    def persons() -> tuple[list[int], int, int]:
        body = s.client.get("/indicators/2026-2027", headers=admin).json()
        org_a = [
            o["unique_persons"]["actual"] for o in body["organizations"] if o["organization_id"] == "org-a"
        ]
        return [q["persons_served"] for q in body["quarters"]], body["persons_served"], sum(org_a)

    assert persons() == ([1, 1, 0, 0], 1, 1)
    s.declare("org-a", "p-a", intervention_id=first, version=2, service_date=date(2026, 11, 2))  # to Q3
    assert persons() == ([1, 1, 1, 0], 1, 1)  # the second intervention still keeps p-a in Q1
    s.receive(contract.InterventionCancelled(intervention_id=second, person_id="p-a", organization_id="org-a",
              service_date=date(2026, 5, 6), reason="Doublon", version=2))  # fmt: skip
    assert persons() == ([0, 1, 1, 0], 1, 1)
    s.declare("org-a", "p-a", intervention_id=first, version=3, service_date=date(2027, 4, 6))  # next year
    assert persons() == ([0, 1, 0, 0], 1, 0)
    regions = s.client.get("/indicators/2026-2027/integration", headers=admin).json()[
        "persons_served_per_region"
    ]
    assert regions == [{"region": "05", "persons": 1}]


def test_a_merged_persons_services_and_plans_count_under_the_surviving_person(
    service: ReportingService,
) -> None:
    """Two files of one person, both served by org-a in Q1: two persons until registration merges
    them, one after — in the organization's targets and the program's figures. What comes later
    under the merged file counts under the survivor too."""
    s, admin = service, service.headers("adele", ["admin"])
    s.register_person("org-a", person_id="kept", region="05")
    s.register_person("org-a", person_id="duplicate", region="03")
    s.declare("org-a", "kept", service_date=date(2026, 5, 4))
    s.declare("org-a", "duplicate", service_date=date(2026, 5, 6))
    s.declare("org-b", "duplicate", service_date=date(2026, 8, 4))
    s.receive(contract.ActionPlanOpened(plan_id="plan-1", person_id="duplicate", organization_id="org-a",
              opened_on=date(2026, 5, 6)))  # fmt: skip

    def figures() -> tuple[int, list[int], int, int, list[dict[str, Any]]]:
        year = s.client.get("/targets/org-a/2026-2027", headers=admin).json()
        program = s.client.get("/indicators/2026-2027", headers=admin).json()
        integration = s.client.get("/indicators/2026-2027/integration", headers=admin).json()
        return (
            year["quarters"][0]["in_quarter"]["unique_persons"]["actual"],
            [q["persons_served"] for q in program["quarters"]],
            program["persons_served"],
            program["persons_with_action_plan"],
            integration["persons_served_per_region"],
        )

    regions = [{"region": "03", "persons": 1}, {"region": "05", "persons": 1}]
    assert figures() == (2, [2, 1, 0, 0], 2, 1, regions)
    s.receive(registration.PersonsMerged(person_id="duplicate", into_person_id="kept"))
    assert figures() == (1, [1, 1, 0, 0], 1, 1, [{"region": "05", "persons": 1}])
    s.declare("org-c", "duplicate", service_date=date(2026, 11, 2))  # after the merge, the old file's id
    assert figures()[1:3] == ([1, 1, 1, 0], 1)
    with s.kernel.db.transaction() as connection:
        f = perf_first_services.c
        firsts = {row.person_id: row.first_on for row in connection.execute(select(f.person_id, f.first_on))}
    assert firsts == {"kept": date(2026, 5, 4)}


def test_the_migration_fills_the_counting_tables_from_what_was_already_known(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'reporting.db'}"
    upgrade(url, "", MIGRATIONS, "0002")
    rows = [
        {"intervention_id": f"i{n}", "organization_id": ORGS[n % 3], "person_id": f"p{n % 7}",
         "code": CODES[n % 4], "service_date": date(2026, 4, 1) + timedelta(days=13 * n),
         "fiscal_year": fiscal_year_of(date(2026, 4, 1) + timedelta(days=13 * n)),
         "quarter_number": FiscalQuarter.of(date(2026, 4, 1) + timedelta(days=13 * n)).number,
         "status": "cancelled" if n % 5 == 0 else "active", "version": 1}
        for n in range(40)
    ]  # fmt: skip
    kernel = build(ReportingSettings(data_dir=tmp_path, database_url=url, run_workers=False)).kernel
    with kernel.db.transaction() as connection:
        old = _tables_before_0009(connection)
        connection.execute(insert(old["perf_interventions"]), rows)
        connection.execute(insert(old["quarter_interventions"]), [_as_declared(row) for row in rows])
        connection.execute(insert(old["perf_action_plans"]), [{"plan_id": "x", "organization_id": "org-a",
                           "person_id": "p1", "opened_on": date(2026, 6, 1), "fiscal_year": "2026-2027",
                           "quarter_number": 1}])  # fmt: skip
        connection.execute(insert(known_persons), [{"person_id": "p2", "organization_id": "org-a",
                           "birth_date": date(1990, 1, 1), "region": "05", "registered_on": date(2026, 1, 1),
                           "erased": False}])  # fmt: skip
        connection.execute(insert(known_person_statuses), [{"person_id": "p2", "seq": 1, "status": "pr",
                           "effective_from": date(2026, 1, 1), "admission_date": date(2026, 1, 1)}])  # fmt: skip
    upgrade(url, "", MIGRATIONS)
    with kernel.db.transaction() as connection:
        migrated = tables_of(connection)
        performance.rebuild(connection)
        assert tables_of(connection) == migrated
    assert migrated[0][("2026-2027", 0, "", "persons_with_plan", "")] == 1
    assert migrated[0][("2026-2027", 0, "", "persons_by_region", "05")] == 1
    assert sum(v for k, v in migrated[0].items() if k[3] == "interventions") == 32
    kernel.db.dispose()


def test_the_migration_moves_what_was_counted_under_merged_files(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'reporting.db'}"
    upgrade(url, "", MIGRATIONS, "0004")
    day = date(2026, 5, 4)
    kernel = build(ReportingSettings(data_dir=tmp_path, database_url=url, run_workers=False)).kernel
    with kernel.db.transaction() as connection:
        connection.execute(insert(known_persons), [{"person_id": p, "organization_id": "org-a",
                           "birth_date": date(1990, 1, 1), "region": "05", "registered_on": date(2026, 1, 1),
                           "erased": False, "merged_into": into}
                           for p, into in (("a", "b"), ("b", "c"), ("c", None))])  # fmt: skip
        old = _tables_before_0009(connection)
        served = [{"intervention_id": f"i-{p}", "organization_id": "org-a", "person_id": p, "code": "ACC",
                   "service_date": day, "fiscal_year": "2026-2027", "quarter_number": 1, "status": "active",
                   "version": 1} for p in "abc"]  # fmt: skip
        connection.execute(insert(old["perf_interventions"]), served)
        connection.execute(insert(old["quarter_interventions"]), [_as_declared(row) for row in served])
        connection.execute(insert(old["perf_action_plans"]), [{"plan_id": "x", "organization_id": "org-a",
                           "person_id": "a", "opened_on": day, "fiscal_year": "2026-2027",
                           "quarter_number": 1}])  # fmt: skip
        for statement in _fill_of_0003():  # as the projection kept them: three persons
            connection.execute(text(statement))
        assert tables_of(connection)[0][("2026-2027", 1, "org-a", "persons", "")] == 3
    upgrade(url, "", MIGRATIONS)
    with kernel.db.transaction() as connection:
        migrated = tables_of(connection)
        i = quarter_interventions.c
        counted = set(connection.execute(select(i.person_id, i.counted_person_id)))
        assert counted == {("a", "c"), ("b", "c"), ("c", "c")}  # the checks still see them as declared
        assert connection.execute(select(known_action_plans.c.counted_person_id)).scalar() == "c"
        performance.rebuild(connection)
        assert tables_of(connection) == migrated
    assert migrated[0][("2026-2027", 1, "org-a", "persons", "")] == 1
    assert migrated[0][("2026-2027", 0, "", "persons_with_plan", "")] == 1
    assert migrated[0][("2026-2027", 1, "org-a", "interventions", "ACC")] == 3
    kernel.db.dispose()


def _tables_before_0009(connection: Any) -> dict[str, Table]:
    """The read models as a database before revision 0009 has them (read from the database)."""
    old = MetaData()
    old.reflect(connection, only=["perf_interventions", "perf_action_plans", "quarter_interventions"])
    return dict(old.tables)


def _as_declared(row: dict[str, Any]) -> dict[str, Any]:
    """The ``quarter_interventions`` row the other consumer kept of the same intervention."""
    kept = ("intervention_id", "organization_id", "person_id", "code", "service_date", "status", "version")
    quarter = str(FiscalQuarter.of(row["service_date"]))
    return {**{k: row[k] for k in kept}, "quarter": quarter, "volet": "V1", "mode": "individual"}


def _fill_of_0003() -> list[str]:
    path = MIGRATIONS / "versions/0003_counting_tables.py"
    spec = importlib.util.spec_from_file_location("reporting_0003", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module._FILL)


def tables_of(connection: Any) -> tuple[dict[tuple[Any, ...], int], set[Any], set[Any]]:
    counts = {tuple(r[:-1]): r[-1] for r in connection.execute(select(perf_counts))}
    return (
        counts,
        set(connection.execute(select(perf_presence))),
        set(connection.execute(select(perf_first_services))),
    )


@pytest.mark.postgres
def test_consumers_in_parallel_keep_the_counts_exact(postgres_url: str, tmp_path: Path) -> None:
    """The interventions consumer (services, plans) and the persons consumer (regions) of two
    processes at once, on the same persons: each person's changes are serialized by their lock."""
    with postgres_schema(postgres_url) as schema:
        settings = ReportingSettings(
            data_dir=tmp_path, database_url=postgres_url, db_schema=schema, run_workers=False
        )
        for s in _service(settings):
            persons = [f"p{n}" for n in range(12)]
            for person in persons:
                s.register_person("org-a", person_id=person, region="03")
            draw = random.Random(7)
            services = [
                published(
                    contract.InterventionDeclared(
                        intervention_id=str(uuid.uuid4()), person_id=draw.choice(persons),
                        organization_id=draw.choice(ORGS), code="ACC", service_date=_day(draw), volet="V1",
                        duration_minutes=30,
                    ),
                    occurred_at=NOW,
                )
                for _ in range(150)
            ]  # fmt: skip
            others = [
                published(contract.ActionPlanOpened(plan_id=str(uuid.uuid4()), person_id=draw.choice(persons),
                          organization_id="org-b", opened_on=_day(draw)), occurred_at=NOW)
                if n % 2
                else published(registration.PersonRegionChanged(person_id=draw.choice(persons),
                               organization_id="org-a", region=draw.choice(("05", "06")),
                               effective_from=date(2026, 1, 1)), occurred_at=NOW)
                for n in range(150)
            ]  # fmt: skip
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(_apply_all, [s, s], [services, others]))
            incremental = tables(s)
            with s.kernel.db.transaction() as connection:
                performance.rebuild(connection)
            assert tables(s) == incremental
            assert sum(v for k, v in incremental[0].items() if k[3] == "interventions") == 150


@pytest.mark.postgres
def test_a_consumers_transaction_locks_the_shared_counters_only_as_it_commits(
    postgres_url: str, tmp_path: Path
) -> None:
    """Two replicas' consumers count two organizations' interventions, each for a person served
    for the first time: both bump the program-wide persons counters. The one still applying its
    poll does not hold them, so the other commits meanwhile without waiting (here: within a 2 s
    lock timeout); both persons are counted."""
    with postgres_schema(postgres_url) as schema:
        settings = ReportingSettings(
            data_dir=tmp_path, database_url=postgres_url, db_schema=schema, run_workers=False
        )
        for s in _service(settings):
            on_declared = interventions_projection.consumer().handlers[
                contract.InterventionDeclared.event_type
            ]
            first, second = (
                published(
                    contract.InterventionDeclared(
                        intervention_id=str(uuid.uuid4()), person_id=person, organization_id=org, code="ACC",
                        service_date=date(2026, 8, 10), volet="V1", duration_minutes=30,
                    ),
                    occurred_at=NOW,
                )
                for person, org in (("p1", "org-a"), ("p2", "org-b"))
            )  # fmt: skip
            with s.kernel.db.transaction() as still_applying:
                on_declared(still_applying, first)
                with s.kernel.db.transaction() as other:
                    other.execute(text("SET LOCAL lock_timeout = '2s'"))
                    on_declared(other, second)
            c = perf_counts.c
            with s.kernel.db.transaction() as connection:
                program = connection.execute(
                    select(c.value).where(
                        c.organization_id == "", c.quarter_number == 0, c.measure == "persons"
                    )
                ).scalar_one()
            assert program == 2


@pytest.mark.postgres
def test_two_replicas_batches_on_the_same_persons_in_opposite_orders_wait_instead_of_deadlocking(
    postgres_url: str, tmp_path: Path
) -> None:
    """Replica A applies a poll naming p1 then p2, replica B one naming p2 then p1, each in one
    transaction. Event by event, A would hold p1 and wait for p2 while B held p2 and waited for
    p1: a deadlock PostgreSQL breaks after a second by rolling one back. The consumer's prepare
    step locks a batch's persons at once, in order: B waits for A, then both commit."""
    with postgres_schema(postgres_url) as schema:
        settings = ReportingSettings(
            data_dir=tmp_path, database_url=postgres_url, db_schema=schema, run_workers=False
        )
        for s in _service(settings):
            spec = interventions_projection.consumer()
            assert spec.prepare is not None
            prepare, on_declared = spec.prepare, spec.handlers[contract.InterventionDeclared.event_type]

            def declared(person: str) -> EventEnvelope:
                return published(
                    contract.InterventionDeclared(
                        intervention_id=str(uuid.uuid4()), person_id=person, organization_id="org-a", code="ACC",
                        service_date=date(2026, 8, 10), volet="V1", duration_minutes=30,
                    ),
                    occurred_at=NOW,
                )  # fmt: skip

            poll_a, poll_b = [declared("p1"), declared("p2")], [declared("p2"), declared("p1")]
            failures: list[BaseException] = []
            other = threading.Thread(target=_apply_poll, args=(s, spec, poll_b, failures))
            with s.kernel.db.transaction() as a:
                prepare(a, poll_a)
                on_declared(a, poll_a[0])
                other.start()
                time.sleep(0.5)  # B is waiting by now
                on_declared(a, poll_a[1])
            other.join(30)

            assert failures == []
            counts, _, _ = tables(s)
            assert sum(v for k, v in counts.items() if k[3] == "interventions") == 4


def _apply_poll(
    s: ReportingService, spec: ConsumerSpec, poll: list[EventEnvelope], failures: list[BaseException]
) -> None:
    """A replica's consumer applying a poll in one transaction (prepare, then each handler);
    what it raised goes to ``failures``."""
    try:
        with s.kernel.db.transaction() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '20s'"))
            if spec.prepare is not None:
                spec.prepare(connection, poll)
            for envelope in poll:
                spec.handlers[envelope.type](connection, envelope)
    except BaseException as error:
        failures.append(error)


def _apply_all(s: ReportingService, batch: list[EventEnvelope]) -> None:
    handlers = {**interventions_projection.consumer().handlers, **persons_projection.consumer().handlers}
    for envelope in batch:
        with s.kernel.db.transaction() as connection:
            handlers[envelope.type](connection, envelope)


def test_the_first_service_delays_are_counted_alike_in_the_database_and_in_python(
    service: ReportingService,
) -> None:
    """Random arrivals and services over two years and their holidays (and an admin's: one on a
    Saturday, which takes no business day away), some arrivals after the first service (not
    counted), some persons served twice (the first counts)."""
    extra = [date(2025, 8, 9), date(2025, 8, 12)]  # a Saturday, a Tuesday
    holidays = [
        {"date": str(d), "name_fr": "Fermé", "name_en": "Closed"} for d in sorted(HOLIDAYS | set(extra))
    ]
    body = {
        "submission_due": {"q1": "2025-07-30", "q2": "2025-10-30", "q3": "2026-01-30", "q4": "2026-04-30"},
        "control_window_days": 30,
        "resubmission_business_days": 10,
        "holidays": [h for h in holidays if "2025-04-01" <= h["date"] <= "2026-03-31"],
    }
    answer = service.client.put("/calendar/2025-2026", headers=service.headers("adele", ["admin"]), json=body)
    assert answer.status_code == 200, answer.text
    draw, firsts = random.Random(5), {}
    for n in range(80):
        arrived = date(2024, 12, 1) + timedelta(days=draw.randrange(800))
        if n < 3:  # over the admin's two holidays: 7 weekdays, 6 business days
            arrived = date(2025, 8, 6)
        service.register_person("org-a", person_id=f"q{n}", status_since=arrived)
        days = sorted(arrived + timedelta(days=draw.randrange(-10, 60)) for _ in range(draw.randint(1, 2)))
        days = [date(2025, 8, 15)] if n < 3 else days
        for day in days:
            if FIRST_DAY <= day < FIRST_DAY + timedelta(days=DAYS):
                service.declare("org-a", f"q{n}", service_date=day)
                firsts.setdefault(f"q{n}", (arrived, day))
    for fiscal_year, last_day in (("2025-2026", date(2026, 3, 31)), ("2026-2027", date(2027, 3, 31))):
        expected = Counter(
            business_days_between(arrived, first, HOLIDAYS | set(extra))
            for arrived, first in firsts.values()
            if fiscal_year_of(first) == fiscal_year and arrived <= first
        )
        assert expected.total() > 20  # enough persons for the comparison to mean something
        with service.kernel.db.transaction() as connection:
            assert first_service_delays(connection, fiscal_year, last_day) == expected


HOLIDAYS = frozenset(
    day for year in range(2023, 2027) for day in default_calendar(year, load_defaults()).holiday_dates()
)
