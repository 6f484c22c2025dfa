"""Search over 100,000 persons through the registration API on PostgreSQL: p50/p95 latency.

The persons read model is filled directly (the search reads only it; registering 100,000
persons through the API is another benchmark's business), then a mix of searches runs as an
organization user and as an administrator, one at a time."""

from __future__ import annotations

import random
import statistics
import tempfile
import time
import urllib.request
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert

from bench.registration import drop_schema, mint, start_service
from registration.persons.names import name_key, normalize, search_keys
from registration.tables import name_tokens, persons

FAMILIES = [
    "Haddad",
    "Nguyen",
    "Traoré",
    "Martínez",
    "Okafor",
    "Kowalski",
    "Rahimi",
    "Diallo",
    "Silva",
    "Chen",
    "Tremblay",
    "Gagnon",
    "Roy",
    "Côté",
    "Bouchard",
    "Gauthier",
    "Morin",
    "Lavoie",
    "Fortin",
    "Gagné",
]
GIVENS = [
    "Amina",
    "Yusuf",
    "Linh",
    "Mariam",
    "Carlos",
    "Ngozi",
    "Anna",
    "Reza",
    "Fatou",
    "Wei",
    "Julie",
    "Marc",
]
STATUSES = [
    "permanent_resident",
    "government_assisted_refugee",
    "protected_person",
    "asylum_claimant",
    "temporary_worker",
]
ORGANIZATIONS = [f"org-{n:03d}" for n in range(100)]


def fill(url: str, schema: str, count: int) -> None:
    rng = random.Random(7)
    now = datetime.now(UTC)
    rows = []
    for i in range(count):
        family = f"{rng.choice(FAMILIES)}{'' if i % 3 else rng.randint(1, 999)}"
        given = rng.choice(GIVENS)
        eligible = rng.choice([(), ("v1", "v2"), ("v1", "v2", "v3"), ("v4",)])
        rows.append(
            {
                "person_id": str(uuid.uuid4()),
                "organization_id": ORGANIZATIONS[i % len(ORGANIZATIONS)],
                "family_name": family,
                "given_name": given,
                "name_key": name_key(family, given),
                "family_norm": normalize(family),
                "given_norm": normalize(given),
                "birth_date": date(1950, 1, 1) + timedelta(days=rng.randint(0, 20000)),
                "sex": rng.choice("FM"),
                "country_of_birth": "SY",
                "status": rng.choice(STATUSES),
                "status_since": date(2023, 1, 1) + timedelta(days=rng.randint(0, 1000)),
                "region": f"{rng.randint(1, 17):02d}",
                "uci_hash": None,
                **{f"eligible_v{n}": f"v{n}" in eligible for n in range(1, 6)},
                "eligibility_on": date(2026, 11, 1),
                "registered_at": now - timedelta(days=rng.randint(0, 900)),
                "last_activity_at": now,
                "erased": False,
                "file_number": i + 1,
            }
        )
    tokens = [
        {
            "token": token,
            "person_id": r["person_id"],
            "organization_id": r["organization_id"],
            "family_norm": r["family_norm"],
            "given_norm": r["given_norm"],
            "registered_at": r["registered_at"],
        }
        for r in rows
        for token in search_keys(str(r["family_name"]), str(r["given_name"]))
    ]
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    with engine.begin() as connection:
        for start in range(0, len(rows), 5000):
            connection.execute(insert(persons), rows[start : start + 5000])
        for start in range(0, len(tokens), 5000):
            connection.execute(insert(name_tokens), tokens[start : start + 5000])
    # Steady state, as autovacuum keeps it: statistics and the visibility map (index-only scans).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE persons")
        connection.exec_driver_sql("VACUUM ANALYZE name_tokens")
    engine.dispose()


def timed_get(url: str, token: str) -> float:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
        assert response.status == 200
    return (time.perf_counter() - start) * 1000


def queries(rng: random.Random) -> list[dict[str, Any]]:
    mixes: list[dict[str, Any]] = []
    for _ in range(100):
        mixes += [
            {"name": normalize(rng.choice(FAMILIES))[:3]},
            {"status": rng.choice(STATUSES), "region": f"{rng.randint(1, 17):02d}"},
            {"eligible_for": rng.choice(["V1", "V3", "V4"])},
            {"registered_from": "2026-01-01", "registered_to": "2026-06-30", "name": rng.choice(GIVENS)[:2]},
            {"offset": rng.randint(0, 900), "limit": 50},
        ]
    return mixes


def main() -> None:
    import os

    port, schema = 18311, f"bench_search_{uuid.uuid4().hex[:6]}"
    data_dir = Path(tempfile.mkdtemp(prefix="gsi-bench-"))
    process = start_service("registration", port, schema, data_dir)
    try:
        started = time.perf_counter()
        fill(os.environ["GSI_TEST_DATABASE_URL"], schema, 100_000)
        filled_s = time.perf_counter() - started
        base = f"http://127.0.0.1:{port}/persons?"
        org_token = mint(port, user_id="bench", roles=["org_staff"], organization="org-042")
        admin_token = mint(port, user_id="admin", roles=["admin"])
        rng = random.Random(11)
        for token, who in ((org_token, "organization user"), (admin_token, "administrator")):
            mix = queries(rng)
            for params in mix[:20]:  # warm-up
                timed_get(base + urllib.parse.urlencode(params), token)
            latencies = sorted(timed_get(base + urllib.parse.urlencode(p), token) for p in mix)
            p95 = latencies[int(len(latencies) * 0.95) - 1]
            print(
                f"{'search 100,000 persons as ' + who:<52}p50 {statistics.median(latencies):6.1f} ms"
                f"   p95 {p95:6.1f} ms   ({len(latencies)} queries; fill {filled_s:.0f} s)"
            )
    finally:
        process.terminate()
        process.wait(20)
        drop_schema(schema)


if __name__ == "__main__":
    import urllib.parse

    main()
