"""Two revisions of GSI measured against each other in one run (A/B, interleaved).

A change that reshapes the store or the HTTP path is judged by the same benches run on the code
before it (A) and after it (B), in turns — A B, B A, A B — so that whatever else the machine does
weighs on both alike. Each revision runs from a git worktree of its own with its own locked
virtual environment (``uv sync --frozen``), under ``.cache/bench-revisions/``; ``--head .`` is
this checkout as it stands, uncommitted changes included.

Each bench is one of ``make bench``'s modules, run as ``python -m bench.<name>`` in the
revision's tree, so each side measures itself with its own code. Their printed lines are read
back: a line whose label is followed by figures gives its first figure (a rate, or a latency),
and the table prints, per line, the median of A's rounds and of B's, and B / A. The CPU time of
each run (the bench process and every process it started and waited for; the database server's
is not in it) is printed too. Figures are printed, never asserted: the machine decides them.

    uv run python -m bench.revisions --base eacfe30 --head . --rounds 3 --bench run interventions
    uv run python -m bench.revisions --base eacfe30 --head . --rounds 4 --bench --http-rate 60
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "bench-revisions"
# "<label>   <figure> ..." with at least two spaces before the figure; the label has a letter.
FIGURE = re.compile(r"^(?P<label>\S.*?[A-Za-z)].*?)\s{2,}(?P<figure>-?[\d][\d,]*(?:\.\d+)?)\b")


@dataclass
class Revision:
    name: str  # "A" or "B"
    spec: str  # what the user gave: a commit, a branch, or "."
    tree: Path
    figures: dict[str, dict[str, list[float]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    cpu: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()


def checkout(name: str, spec: str) -> Revision:
    """The revision's tree, with its own virtual environment synced from its own lock file."""
    if spec == ".":
        return Revision(name, spec, ROOT)
    commit = git("rev-parse", "--verify", f"{spec}^{{commit}}")
    tree = CACHE / commit[:12]
    if not (tree / ".git").exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        git("worktree", "add", "--detach", str(tree), commit)
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    subprocess.run(["uv", "sync", "--frozen", "--all-packages", "--quiet"], cwd=tree, check=True, env=env)
    return Revision(name, f"{spec} ({commit[:10]})", tree)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(revision: Revision, bench: str, arguments: list[str]) -> None:
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    before, started = children_cpu(), time.monotonic()
    done = subprocess.run(
        ["uv", "run", "--frozen", "--no-sync", "python", "-m", f"bench.{bench}", *arguments],
        cwd=revision.tree,
        env=env,
        capture_output=True,
        text=True,
    )
    cpu, wall = children_cpu() - before, time.monotonic() - started
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-2000:] + done.stderr[-4000:])
        raise SystemExit(f"bench.{bench} failed on {revision.name} ({revision.spec})")
    revision.cpu[bench].append(cpu)
    load = os.getloadavg()[0]
    print(f"  {revision.name} bench.{bench}: {wall:.0f} s, CPU {cpu:.1f} s, load {load:.1f}", flush=True)
    for line in done.stdout.splitlines():
        match = FIGURE.match(line.strip())
        if match:
            figure = float(match["figure"].replace(",", ""))
            revision.figures[bench][match["label"].strip()].append(figure)
            print(f"    {match['label'].strip()[:58]:<58} {figure:>12,.1f}", flush=True)


def http_ab(a: Revision, b: Revision, rounds: int, rate: float, seconds: float) -> None:
    """``POST /interventions`` served by each revision's own interventions (one serving
    process, its own schema and Kafka namespace), at a fixed rate below saturation, in turns:
    the CPU each spends per declaration — its processes' and their PostgreSQL backends' — is
    the figure the machine's other load disturbs least."""
    from bench.machinery import PERSONS, Instance, Piece, Run, Service, open_loop, seed, start, watching
    from bench.registration import drop_schema, mint

    piece = Piece("revision", "GSI_BENCH_REVISION", "A", "B", append=False, latency=True)
    services: dict[str, tuple[Service, Instance]] = {}
    runs: dict[str, list[Run]] = {"A": [], "B": []}
    try:
        for revision in (a, b):
            service = Service(
                piece=piece,
                schema=f"bench_rev_{revision.name.lower()}_{uuid.uuid4().hex[:6]}",
                data_dir=Path(tempfile.mkdtemp(prefix="gsi-bench-rev-")),
                persons=[str(uuid.uuid4()) for _ in range(PERSONS)],
                engine=watching(os.environ["GSI_TEST_DATABASE_URL"]),
            )
            instance = start(
                service, revision.name, 1, python=str(revision.tree / ".venv" / "bin" / "python")
            )
            service.instances[instance.application] = instance
            instance.token = mint(
                instance.port, user_id="bench", roles=["org_staff"], organization="org-bench"
            )
            seed(service)
            services[revision.name] = (service, instance)
        for round_number in range(rounds):
            for name in ("A", "B") if round_number % 2 == 0 else ("B", "A"):
                service, instance = services[name]
                time.sleep(2)  # the last load's backlog (relay) drains
                run = open_loop(service, instance, rate, seconds)
                runs[name].append(run)
                print(
                    f"  {name} POST /interventions at {rate:.0f}/s: {run.rate:.0f}/s p50 {run.p50_ms:.1f} ms"
                    f" p99 {run.p99_ms:.1f} ms errors {run.errors}; CPU per declaration: service"
                    f" {run.cpu_ms:.2f} ms, PostgreSQL {run.pg_ms:.2f} ms; load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
    finally:
        for service, instance in services.values():
            instance.process.terminate()
            instance.process.wait(60)
            service.engine.dispose()
            shutil.rmtree(service.data_dir, ignore_errors=True)
            drop_schema(service.schema)
    print(f"\nPOST /interventions at {rate:.0f}/s, medians of {rounds} rounds; B / A")
    for measure, pick in (
        ("service CPU ms/declaration", "cpu_ms"),
        ("PostgreSQL CPU ms/declaration", "pg_ms"),
    ):
        ma = statistics.median(getattr(r, pick) for r in runs["A"])
        mb = statistics.median(getattr(r, pick) for r in runs["B"])
        print(f"  {measure:<58} A {ma:>10.2f}  B {mb:>10.2f}  B/A {mb / ma:.2f}")
    for q in ("p50_ms", "p99_ms"):
        ma = statistics.median(getattr(r, q) for r in runs["A"])
        mb = statistics.median(getattr(r, q) for r in runs["B"])
        print(f"  {'latency ' + q[:3]:<58} A {ma:>10.1f}  B {mb:>10.1f}  B/A {mb / ma:.2f}")


def report(a: Revision, b: Revision, benches: list[str]) -> None:
    print(f"\nA = {a.spec}\nB = {b.spec}\nmedians of the rounds (min-max); B / A")
    for bench in benches:
        print(f"\nbench.{bench}")
        labels = [label for label in b.figures[bench] if label in a.figures[bench]]
        for label in labels:
            fa, fb = a.figures[bench][label], b.figures[bench][label]
            ma, mb = statistics.median(fa), statistics.median(fb)
            ratio = f"{mb / ma:.2f}" if ma else "-"
            print(
                f"  {label[:58]:<58} A {ma:>10,.1f} ({min(fa):,.0f}-{max(fa):,.0f})"
                f"  B {mb:>10,.1f} ({min(fb):,.0f}-{max(fb):,.0f})  B/A {ratio}"
            )
        ca, cb = statistics.median(a.cpu[bench]), statistics.median(b.cpu[bench])
        print(
            f"  {'CPU of the run, s (bench and its processes)':<58} A {ca:>10.1f}  B {cb:>10.1f}  B/A {cb / ca:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", required=True, help="revision A (commit, branch or tag)")
    parser.add_argument("--head", default=".", help="revision B; '.' is this checkout as it stands")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bench", nargs="*", default=["run"], help="bench modules, e.g. run interventions")
    parser.add_argument("--args", default="", help="arguments for bench.run (e.g. '--imports 20000')")
    parser.add_argument("--http-rate", type=float, default=0, help="also POST /interventions at this rate")
    parser.add_argument("--http-seconds", type=float, default=20)
    options = parser.parse_args()
    a, b = checkout("A", options.base), checkout("B", options.head)
    if options.http_rate:
        http_ab(a, b, options.rounds, options.http_rate, options.http_seconds)
    if not options.bench:
        return
    for round_number in range(options.rounds):
        order = (a, b) if round_number % 2 == 0 else (b, a)
        print(f"round {round_number + 1}: {order[0].name} then {order[1].name}", flush=True)
        for bench in options.bench:
            for revision in order:
                run(revision, bench, options.args.split() if bench == "run" else [])
    report(a, b, options.bench)


if __name__ == "__main__":
    main()
