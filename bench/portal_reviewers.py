"""``uv run python -m bench.portal_reviewers``: the ministry's pages with 20 signed-in reviewers
at once, on PostgreSQL + Kafka (:mod:`bench.portal_system` starts and seeds the system).

On top of the demo, one organization's quarter is brought to 2,000 interventions (imported
through interventions' API) and submitted by its manager once the quarter has ended: the
services' business day is moved to the next quarter's first day (as ``make run``'s demo moves
it) and stays there, the portal's too. Each reviewer is assigned to every organization in
reporting's registry, signs in through the development sign-in form and goes round the pages a
reviewer opens most, pausing on each (``--think``, 2 s on average): the work queue, the control
page of that 2,000-intervention report (its first page, then the page filtered on a check), an
organization's profile and the programme's indicators.

Printed as :mod:`bench.portal_pages` prints: p50 / p95 / max server time per page, the portal's
overhead over its backend calls, the CPU per page of the portal and of the four services, and
PASS / FAIL against issue 21's target, p95 < 500 ms on every page. Figures are printed, never
asserted: the machine decides them.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.portal_pages import THINK_S, Round, measure
from bench.portal_system import running_system, this_quarter
from gsi_kernel.clock import montreal_date
from gsi_kernel.fiscal import FiscalQuarter
from scripts import demo
from scripts.demo_plan import ADMIN, MONTREAL, ORGANIZATIONS, manager_of
from scripts.launcher import ServiceProcesses

TARGET_P95_MS = 500.0
REVIEWERS = 20
# Reporting answers nearly every call of the reviewers' pages: deployed for them, it serves from
# two processes (deployment.md). One process runs every short read on its one event loop
# (ADR 29), and the control page's eight calls queue behind one another there.
REPORTING_PROCESSES = 2
SUBMITTED = 2_000  # the interventions of the report under review
ORG = MONTREAL


def reviewers(count: int) -> list[dict[str, Any]]:
    """``count`` ministry reviewers, offered on the development sign-in page (their
    organizations come from reporting's registry, where :func:`prepare` assigns them)."""
    return [
        {"user_id": f"bench-reviewer-{n:02d}@mifi", "roles": ["ministry_reviewer"], "organization": None}
        for n in range(count)
    ]


@dataclass
class Seeded:
    """What :func:`prepare` made that the pages name: the check that flagged the most."""

    check: str = ""


def pages_of(quarter: FiscalQuarter, seeded: Seeded) -> Round:
    control = f"/controle/{ORG}/{quarter}"
    organizations = sorted(ORGANIZATIONS)

    def pages(user: dict[str, Any], turn: int) -> list[tuple[str, str, dict[str, str]]]:
        other = organizations[(turn + len(user["user_id"])) % len(organizations)]
        filtered = f"{control}?controle={seeded.check}" if seeded.check else control
        return [
            ("work queue", "/controle", {}),
            ("control page, 2,000 interventions", control, {}),
            (f"control page, filtered on {seeded.check or '-'}", filtered, {}),
            ("organization profile", f"/organismes/{other}", {}),
            ("programme indicators", "/indicateurs", {}),
        ]

    return pages


def prepare(users: list[dict[str, Any]], seeded: Seeded) -> Callable[[ServiceProcesses], None]:
    """The report of :data:`SUBMITTED` interventions, submitted after its quarter's end, and the
    bench's reviewers assigned to every organization."""

    def run(system: ServiceProcesses) -> None:
        started = time.monotonic()
        today = montreal_date(datetime.now(UTC))
        quarter = FiscalQuarter.of(today)
        tokens = demo.tokens(system)
        manager = tokens[manager_of(ORG)]
        report = f"{system.url('reporting')}/reports/{ORG}/{quarter}"
        with httpx.Client(timeout=120, headers={"Authorization": f"Bearer {manager}"}) as http:
            # Rows are refused when they repeat one already there (same person, code and day):
            # what is missing comes with another code.
            for act in (("PDI", "V2"), ("ACC", "V1"), ("SIC", "V1")):
                counted = int(http.get(report).json()["interventions_count"])
                if counted >= SUBMITTED:
                    break
                this_quarter(system, manager, ORG, SUBMITTED - counted, today, act)
        # Submission opens once the quarter has ended: the services' day moves there, for good.
        demo.BusinessDay(system, today).move_to(quarter.last_day + timedelta(days=1))
        tokens = demo.tokens(system)  # minted on the services' new day
        with httpx.Client(timeout=300) as http:
            submitted = http.post(
                f"{report}/submit", headers={"Authorization": f"Bearer {tokens[manager_of(ORG)]}"}
            )
            submitted.raise_for_status()
            admin = {"Authorization": f"Bearer {tokens[ADMIN]}"}
            for user in users:
                for org in ORGANIZATIONS:
                    url = f"{system.url('reporting')}/organizations/{org}/reviewers/{user['user_id']}"
                    http.put(url, headers=admin).raise_for_status()
            head = http.get(f"{report}/submissions/1", params={"limit": 1}, headers=admin).json()
        seeded.check = max(head["by_check"], key=lambda c: int(head["by_check"][c]), default="")
        body = submitted.json()
        print(
            f"  {ORG}'s report of {quarter} submitted: {body['interventions_count']:,} interventions, "
            f"{body['errors']:,} errors, {body['warnings']:,} warnings, findings by check "
            f"{head['by_check']} "
            f"({time.monotonic() - started:.0f} s, the services' day moved to the next quarter)",
            flush=True,
        )

    return run


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=REVIEWERS)
    parser.add_argument("--rounds", type=int, default=4, help="rounds of the five pages per user, measured")
    parser.add_argument(
        "--think", type=float, default=THINK_S, help="mean pause on each page, seconds (0: none)"
    )
    parser.add_argument(
        "--reporting-processes",
        type=int,
        default=REPORTING_PROCESSES,
        help="processes serving reporting's API (GSI_REPORTING_HTTP_WORKERS)",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="keep the services' logs there (default: a temporary folder)"
    )
    args = parser.parse_args()
    users = reviewers(args.users)
    quarter, seeded = FiscalQuarter.of(montreal_date(datetime.now(UTC))), Seeded()
    with (
        tempfile.TemporaryDirectory(prefix="gsi-bench-reviewers-") as temporary,
        running_system(
            args.data_dir or Path(temporary),
            users,
            busy={},
            prepare=prepare(users, seeded),
            services_env={"GSI_REPORTING_HTTP_WORKERS": str(args.reporting_processes)},
        ) as system,
    ):
        print(f"  reporting served by {args.reporting_processes} process(es)", flush=True)
        pages = pages_of(quarter, seeded)
        asyncio.run(measure(system, users, args.rounds, args.think, pages, TARGET_P95_MS))


if __name__ == "__main__":
    main()
