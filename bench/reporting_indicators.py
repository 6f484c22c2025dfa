"""The program-wide indicators of reporting on a program-sized history (part of
``bench.reporting``): 120 organizations, two fiscal years and a quarter of interventions
(``--indicator-interventions`` a year, 250,000 by default: CERI-Ges received "hundreds of
thousands of records a year"), ~50,000 persons a year of whom half come back the next year, most
served by one organization, action plans for 60 % of them, regions and arrival dates, and a few
hundred regionalization follow-ups. Seeded with ``generate_series`` straight into the projection
tables, then the counting tables are rebuilt from them as the migration does.

Measured: p50 / p95 over HTTP of the ministry's indicators, their CSV, the integration
indicators and one organization's targets; and the interventions consumer applying declarations,
corrections and cancellations one event at a time (what keeping the counts costs a write)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient
from sqlalchemy import text

from gsi_contracts import interventions as contract
from gsi_kernel.envelope import EventEnvelope
from gsi_kernel.events import DomainEvent
from gsi_kernel.runtime import Kernel
from reporting.counting import rebuild as performance
from reporting.knowledge import interventions as interventions_projection

FISCAL_YEAR = "2025-2026"  # the year measured: complete, with the year before as history
ORGANIZATIONS = 120
_NOW = datetime(2026, 7, 10, 15, 0, tzinfo=UTC)
CODES = ("ACC", "PDI", "SUI", "SUI", "SUI", "REF", "EVB", "SIC", "PDI", "SUI")

# One fiscal year's interventions: each person belongs to an organization (person % 120), one in
# ten interventions is at another one; 2 % are cancelled. Persons of year y are numbered from
# y * persons / 2, so half of a year's persons were served the year before.
_INTERVENTIONS = """
INSERT INTO quarter_interventions (intervention_id, organization_id, person_id, counted_person_id, code,
                                   service_date, fiscal_year, quarter_number, quarter, status, version, volet, mode)
SELECT 'b-' || CAST(:fy AS text) || '-' || n, 'org-' || lpad((CASE WHEN n % 10 = 0 THEN (p + n) % 120 ELSE p % 120 END)::text, 3, '0'),
       'p-' || lpad(p::text, 7, '0'), 'p-' || lpad(p::text, 7, '0'), (CAST(:codes AS text[]))[1 + n % 10], d,
       CAST(:fy AS text), q, CAST(:fy AS text) || '-Q' || q, CASE WHEN n % 50 = 0 THEN 'cancelled' ELSE 'active' END,
       1, 'V1', 'individual'
FROM (SELECT n, p, d, ((extract(month FROM d)::int + 8) % 12) / 3 + 1 AS q
      FROM (SELECT n, :first_person + (n * 7919) % :persons AS p, CAST(:first_day AS date) + ((n * 13) % :days)::int AS d
            FROM generate_series(1, :count) AS n) AS g) AS s
"""
_PERSONS = """
INSERT INTO known_persons (person_id, organization_id, birth_date, region, registered_on, erased)
SELECT 'p-' || lpad(k::text, 7, '0'), 'org-' || lpad((k % 120)::text, 3, '0'), DATE '1980-01-01' + k % 9000,
       CASE WHEN k % 20 = 0 THEN NULL ELSE lpad((1 + k % 17)::text, 2, '0') END, DATE '2024-01-01', false
FROM generate_series(0, :last) AS k
"""
_STATUSES = """
INSERT INTO known_person_statuses (person_id, seq, status, effective_from, admission_date)
SELECT 'p-' || lpad(k::text, 7, '0'), 1, 'permanent_resident', a, a
FROM (SELECT k, DATE '2024-03-01' + (k * 11) % 700 AS a FROM generate_series(0, :last) AS k) AS s
"""
_PLANS = """
INSERT INTO known_action_plans (plan_id, organization_id, person_id, opened_on, fiscal_year, quarter_number,
                                counted_person_id)
SELECT 'plan-' || k, 'org-' || lpad((k % 120)::text, 3, '0'), 'p-' || lpad(k::text, 7, '0'), d,
       (extract(year FROM d)::int - CASE WHEN extract(month FROM d) < 4 THEN 1 ELSE 0 END)::text || '-'
         || (extract(year FROM d)::int + CASE WHEN extract(month FROM d) < 4 THEN 0 ELSE 1 END)::text,
       ((extract(month FROM d)::int + 8) % 12) / 3 + 1, 'p-' || lpad(k::text, 7, '0')
FROM (SELECT k, DATE '2024-04-01' + (k * 17) % 800 AS d FROM generate_series(0, :last) AS k) AS s
WHERE k % 5 < 3
"""
_FOLLOW_UPS = """
INSERT INTO regionalization_follow_ups
SELECT 'f-' || k, 'p-' || lpad((k * 37)::text, 7, '0'), 'org-' || lpad((k % 120)::text, 3, '0'),
       lpad((1 + k % 16)::text, 2, '0'), o, o + 365, CASE WHEN o + 365 < DATE '2026-04-01' THEN '2025-2026'
       ELSE '2026-2027' END
FROM (SELECT k, DATE '2024-04-01' + k % 400 AS o FROM generate_series(0, :count - 1) AS k) AS s
"""
_CHECKPOINTS = """
INSERT INTO regionalization_checkpoints
SELECT follow_up_id, 12, (ARRAY['stayed', 'stayed', 'moved', 'unknown'])[1 + abs(hashtext(follow_up_id)) % 4],
       retention_due
FROM regionalization_follow_ups WHERE retention_due <= DATE '2026-07-01'
"""


def seed(kernel: Kernel, per_year: int) -> int:
    """Two fiscal years (2024-2025, 2025-2026) and the first quarter of 2026-2027."""
    persons = per_year // 5
    years = [("2024-2025", date(2024, 4, 1), 365, per_year), ("2025-2026", date(2025, 4, 1), 366, per_year)]
    years.append(("2026-2027", date(2026, 4, 1), 91, per_year // 4))
    with kernel.db.transaction() as connection:
        for index, (fy, first_day, days, count) in enumerate(years):
            connection.execute(
                text(_INTERVENTIONS),
                {"fy": fy, "codes": list(CODES), "first_person": index * persons // 2, "persons": persons,
                 "first_day": first_day, "days": days, "count": count},
            )  # fmt: skip
        last = (len(years) + 1) * persons // 2
        for statement in (_PERSONS, _STATUSES, _PLANS):
            connection.execute(text(statement), {"last": last})
        connection.execute(text(_FOLLOW_UPS), {"count": 600})
        connection.execute(text(_CHECKPOINTS))
        performance.rebuild(connection)
    # As autovacuum would after such a load: statistics, and the visibility map index-only scans read.
    with kernel.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"VACUUM ANALYZE {', '.join(_SEEDED)}"))
    return sum(y[3] for y in years)


_SEEDED = (
    "quarter_interventions", "known_action_plans", "perf_presence", "perf_counts", "perf_first_services",
    "known_persons", "known_person_statuses", "regionalization_follow_ups", "regionalization_checkpoints",
)  # fmt: skip


def prepare(kernel: Kernel, per_year: int) -> None:
    started = time.perf_counter()
    count = seed(kernel, per_year)
    print(
        f"indicators: {count:,} interventions over {ORGANIZATIONS} organizations, fiscal years 2024-2025 "
        f"to 2026-2027 Q1, seeded and counted in {time.perf_counter() - started:.1f} s"
    )


def bench(client: TestClient, kernel: Kernel, admin: dict[str, str], repeat: int, line: Line) -> None:
    requests = [
        ("indicators: GET /indicators/{fy} (program-wide)", f"/indicators/{FISCAL_YEAR}"),
        ("indicators: GET /indicators/{fy}.csv", f"/indicators/{FISCAL_YEAR}.csv"),
        ("indicators: GET /indicators/{fy}/integration", f"/indicators/{FISCAL_YEAR}/integration"),
        ("targets: GET /targets/org-007/{fy} (one organization)", f"/targets/org-007/{FISCAL_YEAR}"),
    ]
    for label, path in requests:
        answer = client.get(path, headers=admin)
        assert answer.status_code == 200, answer.text

        def get(path: str = path) -> None:
            client.get(path, headers=admin)

        line(label, timed(get, repeat))
    _bench_writes(kernel, line)


Line = Callable[[str, list[float]], None]


def timed(run: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def _bench_writes(kernel: Kernel, line: Line) -> None:
    """Declarations, then a correction moving each to another quarter and code, then a
    cancellation: each event in its own transaction, as the consumer runner applies them."""
    events: list[tuple[str, Callable[[int], EventEnvelope]]] = [
        ("declared", lambda n: _declared(n, date(2025, 5, 5), "ACC", 1)),
        ("corrected (other quarter)", lambda n: _declared(n, date(2025, 11, 5), "SUI", 2)),
        ("cancelled", _cancelled),
    ]
    handlers = interventions_projection.consumer().handlers
    for label, make in events:
        times = []
        for n in range(300):
            envelope = make(n)
            started = time.perf_counter()
            with kernel.db.transaction() as connection:
                handlers[envelope.type](connection, envelope)
            times.append(time.perf_counter() - started)
        line(f"interventions consumer: one intervention {label}", times)


def _envelope(event: DomainEvent) -> EventEnvelope:
    return EventEnvelope(
        event_id=str(uuid.uuid4()),
        type=event.event_type,
        schema_version=event.schema_version,
        source="gsi/bench",
        stream_id=f"intervention-{uuid.uuid4()}",
        stream_version=1,
        occurred_at=_NOW,
        recorded_at=_NOW,
        actor="bench",
        organization=None,
        correlation_id=str(uuid.uuid4()),
        causation_id=None,
        traceparent=None,
        payload=event.to_payload(),
    )


def _declared(n: int, day: date, code: str, version: int) -> EventEnvelope:
    fields = {
        "intervention_id": f"w-{n}", "person_id": f"p-{(n * 31) % 60_000:07d}", "organization_id": "org-007",
        "code": code, "service_date": day, "volet": "V1", "duration_minutes": 30, "version": version,
    }  # fmt: skip
    if version == 1:
        return _envelope(contract.InterventionDeclared(**fields))
    return _envelope(contract.InterventionCorrected(reason="bench", **fields))


def _cancelled(n: int) -> EventEnvelope:
    return _envelope(
        contract.InterventionCancelled(
            intervention_id=f"w-{n}",
            person_id=f"p-{(n * 31) % 60_000:07d}",
            organization_id="org-007",
            service_date=date(2025, 11, 5),
            reason="bench",
            version=3,
        )
    )
