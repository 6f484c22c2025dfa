"""``uv run python -m bench.portal_pages``: the portal's pages with 50 signed-in users at once,
on PostgreSQL + Kafka (:mod:`bench.portal_system` starts and seeds the system).

Each user signs in through the development sign-in form (its own session cookie, its own
connection, as a browser), then all 50 go round the pages an organization's staff opens most:
the home page, the person search (a full page), the live search's partial as typing asks for it
(htmx), and their organization's report of last quarter (the demo took it through the workflow:
submitted, rejected, locked, accepted). Each user pauses on each page (``--think``, 2 s on
average: brisk; ``--think 0``: none, the portal and the services saturated). Every answer's
``Server-Timing`` header (:mod:`portal.timing`) gives the page's server time (``app``), the time
it waited on the services (``backend``) and its calls; ``app - backend`` is the portal's own work.

Printed: p50 / p95 / max per page, the portal's overhead over its backend calls as a ratio, the
CPU time of the portal and of the four services per page (``/proc``: what the machine's other
work takes does not count, so this is the figure to compare between runs), and PASS / FAIL
against the issue's target, p95 < 300 ms on every page. Figures are printed, never asserted:
the machine decides them.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from bench.fixed_rate import percentile
from bench.portal_system import bench_users, running_system
from gsi_kernel.clock import montreal_date
from gsi_kernel.fiscal import FiscalQuarter
from scripts.demo_plan import FAMILY
from scripts.launcher import PORTAL, ServiceProcesses

TARGET_P95_MS = 300.0
USERS = 50
THINK_S = 2.0  # a brisk user: a page every 1 to 3 s (reading and typing take longer)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TIMING = re.compile(r'app;dur=([\d.]+), backend;dur=([\d.]+);desc="(\d+) calls')
SLOWEST = re.compile(r'slowest;dur=([\d.]+);desc="([^"]+)"')
# The slowest call's organization and quarter: one label per kind of call, whoever asks.
_LABEL_PARTS = ((re.compile(r"/org-[\w-]+"), "/{org}"), (re.compile(r"/\d{4}-\d{4}-Q\d"), "/{quarter}"))
LIVE = {"HX-Request": "true", "HX-Target": "results"}  # what htmx sends as the person types
# A user's round of pages: (page, address, headers) for the user and the turn.
Round = Callable[[dict[str, Any], int], list[tuple[str, str, dict[str, str]]]]


@dataclass(frozen=True)
class Sample:
    page: str
    app_ms: float  # the portal's server time (Server-Timing)
    backend_ms: float  # of which waiting on the services
    calls: int  # the service calls it made
    client_ms: float  # as the user's connection saw it
    failed: bool = False  # not the page: an error page
    slowest: tuple[float, str] = (0.0, "")  # the page's longest service call: ms, which


def pages_of(user: dict[str, Any], turn: int) -> list[tuple[str, str, dict[str, str]]]:
    """One round of a user: (page, address, headers). The searches vary with the turn."""
    last = FiscalQuarter.of(montreal_date(datetime.now(UTC))).first_day - timedelta(days=1)
    name = FAMILY[(turn + len(user["user_id"])) % len(FAMILY)]
    return [
        ("home", "/", {}),
        ("person search", f"/personnes?q={quote(name[:4])}", {}),
        ("live search (htmx partial)", f"/personnes?q={quote(name[:3].lower())}", LIVE),
        ("report, last quarter", f"/rapports/{user['organization']}/{FiscalQuarter.of(last)}", {}),
    ]


async def signed_in(base_url: str, user: dict[str, Any]) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base_url, timeout=60, limits=httpx.Limits(max_connections=1))
    form = await client.get("/signin")
    token = CSRF.search(form.text)
    assert token, form.text[:500]
    done = await client.post("/signin/dev", data={"user_id": user["user_id"], "csrf_token": token[1]})
    assert done.status_code == 303, done.text[:500]
    assert "gsi_session" in client.cookies
    return client


async def go_round(
    client: httpx.AsyncClient,
    user: dict[str, Any],
    turns: range,
    into: list[Sample],
    think: float = 0.0,
    pages: Round = pages_of,
) -> None:
    """The user's rounds of pages; ``think``: the mean pause reading each page (seconds, spread
    from half to one and a half times, so that the users do not click in step)."""
    pause = random.Random(user["user_id"])
    await asyncio.sleep(pause.uniform(0, think))
    for turn in turns:
        for page, url, headers in pages(user, turn):
            await asyncio.sleep(pause.uniform(0.5, 1.5) * think)
            started = time.perf_counter()
            try:
                answer = await client.get(url, headers=headers)
            except httpx.RemoteProtocolError:
                # The portal closed the idle connection as the request left (keep-alive ran
                # out, 5 s): sent again on a new one, as a browser does with a GET.
                started = time.perf_counter()
                answer = await client.get(url, headers=headers)
            client_ms = (time.perf_counter() - started) * 1000
            timing = TIMING.match(answer.headers.get("server-timing", ""))
            assert timing, f"{url}: {answer.status_code} without Server-Timing"
            failed = answer.status_code != 200  # a service that did not answer in time: 503
            slowest = SLOWEST.search(answer.headers["server-timing"])
            call = (float(slowest[1]), _call_kind(slowest[2])) if slowest else (0.0, "")
            into.append(
                Sample(page, float(timing[1]), float(timing[2]), int(timing[3]), client_ms, failed, call)
            )


def _call_kind(label: str) -> str:
    for pattern, replacement in _LABEL_PARTS:
        label = pattern.sub(replacement, label)
    return label


def cpu_seconds(pid: int) -> float:
    """The process's and its descendants' user + system CPU time so far."""
    tick = 100.0  # os.sysconf("SC_CLK_TCK") on Linux
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # ended meanwhile
        parents[int(stat.parent.name)] = int(fields[1])
    tree, total = {pid}, 0.0
    while grown := {p for p, parent in parents.items() if parent in tree} - tree:
        tree |= grown
    for member in tree:
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


async def measure(
    system: ServiceProcesses,
    users: list[dict[str, Any]],
    rounds: int,
    think: float,
    pages: Round = pages_of,
    target_ms: float = TARGET_P95_MS,
) -> None:
    clients = await asyncio.gather(*(signed_in(system.url(PORTAL), u) for u in users))
    try:
        await asyncio.gather(
            *(go_round(c, u, range(1), [], pages=pages) for c, u in zip(clients, users, strict=True))
        )
        portal_pid = system.processes[PORTAL].pid
        services = [p.pid for name, p in system.processes.items() if name != PORTAL]
        cpu_before = cpu_seconds(portal_pid), sum(cpu_seconds(p) for p in services)
        samples: list[Sample] = []
        started = time.perf_counter()
        turns = range(1, rounds + 1)
        await asyncio.gather(
            *(go_round(c, u, turns, samples, think, pages) for c, u in zip(clients, users, strict=True))
        )
        elapsed = time.perf_counter() - started
        portal_cpu = cpu_seconds(portal_pid) - cpu_before[0]
        services_cpu = sum(cpu_seconds(p) for p in services) - cpu_before[1]
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    how = f"a pause of ~{think:g} s on each page" if think else "no pause"
    who = f"{len(users)} users at once, {how}"
    report(samples, elapsed, portal_cpu, services_cpu, who, target_ms)


def report(
    samples: list[Sample],
    elapsed: float,
    portal_cpu: float,
    services_cpu: float,
    who: str,
    target_ms: float = TARGET_P95_MS,
) -> None:
    by_page: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_page[sample.page].append(sample)
    count = len(samples)
    print(f"  {who}: {count:,} pages in {elapsed:.1f} s ({count / elapsed:.0f} pages/s)")
    print(f"  {'server time (Server-Timing app), ms':<36}{'p50':>6}{'p95':>6}{'max':>6}"
          f"  backend p50  own p50 / p95  client p95  calls  errors")  # fmt: skip
    worst = max(_page_line(page, found) for page, found in by_page.items())
    print("  the slowest call of each page's slowest tenth (its usual culprit, how often, median ms):")
    for page, found in by_page.items():
        print(f"    {page:<34}{_culprit(found)}")
    errors = sum(s.failed for s in samples)
    app_total = sum(s.app_ms for s in samples)
    backend_total = sum(s.backend_ms for s in samples)
    ratios = sorted(s.app_ms / s.backend_ms for s in samples if s.backend_ms > 0)
    print(
        f"  portal overhead: server time ÷ time waiting on the services {app_total / backend_total:.2f}"
        f" (all pages; per page p50 {statistics.median(ratios):.2f}, p95 {percentile(ratios, 0.95):.2f})"
    )
    print(
        f"  CPU per page: portal {portal_cpu / count * 1000:.1f} ms, the four services "
        f"{services_cpu / count * 1000:.1f} ms (ratio {portal_cpu / max(services_cpu, 1e-9):.2f})"
    )
    verdict = "PASS" if worst < target_ms and not errors else "FAIL"
    print(
        f"  page server time p95 < {target_ms:.0f} ms on every page, no error page: {verdict}"
        f" (worst p95 {worst:.0f} ms, {errors} errors)"
    )


def _culprit(found: list[Sample]) -> str:
    """Which service call was the longest most often in the page's slowest 10 %."""
    slow = sorted(found, key=lambda s: s.app_ms)[-max(1, len(found) // 10) :]
    calls: dict[str, list[float]] = defaultdict(list)
    for sample in slow:
        calls[sample.slowest[1]].append(sample.slowest[0])
    label, durations = max(calls.items(), key=lambda item: len(item[1]))
    return f"{label or '(no call)'}  {len(durations)} of {len(slow)}, {statistics.median(durations):.0f} ms"


def _page_line(page: str, found: list[Sample]) -> float:
    """Print the page's figures; its p95 server time."""
    app = sorted(s.app_ms for s in found)
    own = sorted(s.app_ms - s.backend_ms for s in found)
    p95 = percentile(app, 0.95)
    print(
        f"  {page:<36}{statistics.median(app):6.0f}{p95:6.0f}{app[-1]:6.0f}"
        f"  {statistics.median(s.backend_ms for s in found):11.1f}"
        f"  {statistics.median(own):6.1f} / {percentile(own, 0.95):5.1f}"
        f"  {percentile(sorted(s.client_ms for s in found), 0.95):10.0f}"
        f"  {statistics.mean(s.calls for s in found):5.1f}  {sum(s.failed for s in found):6d}"
    )
    return p95


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--rounds", type=int, default=4, help="rounds of the four pages per user, measured")
    parser.add_argument(
        "--think", type=float, default=THINK_S, help="mean pause on each page, seconds (0: none)"
    )
    parser.add_argument(
        "--data-dir", type=Path, help="keep the services' logs there (default: a temporary folder)"
    )
    args = parser.parse_args()
    users = bench_users(args.users)
    with (
        tempfile.TemporaryDirectory(prefix="gsi-bench-portal-") as temporary,
        running_system(args.data_dir or Path(temporary), users) as system,
    ):
        asyncio.run(measure(system, users, args.rounds, args.think))


if __name__ == "__main__":
    main()
