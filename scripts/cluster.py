"""The replicated local topology (issue 22): several replicas of each service and of the portal,
each its own process on its own port, behind one HAProxy with a frontend per service.

``deploy/local/cluster.sh`` starts the three Kafka brokers (``kafka-cluster.sh``) and PostgreSQL
(``postgres.sh``), then runs this module (``python -m scripts.cluster start|stop|status``);
tests/cluster drives single replicas through :class:`Topology` (kill one, restart one).

Every replica is a whole service: it migrates (an advisory lock lets one at a time), serves its
API and runs its own background workers — the outbox relay (one replica publishes at a time, the
holder of the lease), its consumers (Kafka's consumer groups share the partitions between the
replicas), its projections and schedulers. With ``GSI_CLUSTER_HTTP_WORKERS`` > 1 a replica is
itself a supervising process with that many serving processes (ADR 32), as in production.

State lives under ``GSI_CLUSTER_DIR``: ``topology.json`` (what ``start`` started, read by
``stop`` and ``status``), ``run/`` the pid files and HAProxy's admin socket, ``logs/`` one log per
replica, ``data/`` the development keys the replicas share, ``haproxy.cfg`` (generated).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from scripts.demo_plan import USERS

SERVICES = ("registration", "interventions", "reporting", "notifications")
PORTAL = "portal"
DEPLOYABLES = (PORTAL, *SERVICES)  # frontend ports base, base+1 … base+4 in this order
ROOT = Path(__file__).resolve().parents[1]
DATABASE = "gsi_cluster"
MAX_REPLICAS = 9  # replica ports: base + 10·(index+1) + n, n in 1…9
# GSI_ variables of the caller that are not the replicas' settings (the others are recorded in
# topology.json, so a replica restarted later gets the same).
_NOT_PASSED = ("GSI_CLUSTER_", "GSI_TEST_", "GSI_PG_", "GSI_KAFKA_", "GSI_REQUIRE_INFRA", "GSI_CACHE_DIR")
# Beside postgres.sh's and kafka.sh's folders: the machine's, not a per-user temporary one.
DEFAULT_DIR = Path("/var/tmp/gsi-cluster")  # noqa: S108


@dataclass(frozen=True)
class Topology:
    """Where everything of one topology is: ports, directories, the shared settings."""

    root: Path
    database_url: str
    bootstrap_servers: str
    replicas: int = 2
    base_port: int = 28000
    http_workers: int = 1
    # A prefix of the Kafka topics and groups and of the database schemas: a test session has a
    # topology of its own on the same brokers and database. Empty: the plain names.
    namespace: str = ""
    # Settings of every replica (GSI_…), e.g. a short relay lease in a failover test.
    extra_env: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 1 <= self.replicas <= MAX_REPLICAS:
            raise ValueError(f"replicas: 1 to {MAX_REPLICAS}, not {self.replicas}")
        if not re.fullmatch(r"[a-z0-9_]*", self.namespace):
            raise ValueError(f"namespace: lower-case letters, digits and _ only, not {self.namespace!r}")

    # --- from the environment, to and from topology.json -------------------------------

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Topology:
        """The topology the environment describes: ``GSI_CLUSTER_*``, the brokers'
        ``KAFKA_BOOTSTRAP_SERVERS`` and PostgreSQL's ``GSI_TEST_DATABASE_URL`` (its server;
        the database is ``gsi_cluster``) unless ``GSI_CLUSTER_DATABASE_URL`` names one."""
        database_url = env.get("GSI_CLUSTER_DATABASE_URL")
        if not database_url:
            server = env.get("GSI_TEST_DATABASE_URL")
            if not server:
                raise SystemExit("GSI_CLUSTER_DATABASE_URL or GSI_TEST_DATABASE_URL is needed")
            database_url = make_url(server).set(database=DATABASE).render_as_string(hide_password=False)
        servers = env.get("KAFKA_BOOTSTRAP_SERVERS")
        if not servers:
            raise SystemExit("KAFKA_BOOTSTRAP_SERVERS is needed (deploy/local/kafka-cluster.sh env)")
        return cls(
            root=Path(env.get("GSI_CLUSTER_DIR") or DEFAULT_DIR),
            database_url=database_url,
            bootstrap_servers=servers,
            replicas=int(env.get("GSI_CLUSTER_REPLICAS", "2")),
            base_port=int(env.get("GSI_CLUSTER_BASE_PORT", "28000")),
            http_workers=int(env.get("GSI_CLUSTER_HTTP_WORKERS", "1")),
            namespace=env.get("GSI_CLUSTER_NAMESPACE", ""),
            extra_env={
                k: v for k, v in env.items() if k.startswith("GSI_") and not k.startswith(_NOT_PASSED)
            },
        )

    @classmethod
    def load(cls, root: Path) -> Topology | None:
        """The topology ``start`` recorded in ``root``, or None."""
        try:
            saved = json.loads((root / "topology.json").read_text())
        except FileNotFoundError:
            return None
        return cls(**{**saved, "root": Path(saved["root"])})

    def save(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        saved = {**asdict(self), "root": str(self.root), "extra_env": dict(self.extra_env)}
        (self.root / "topology.json").write_text(json.dumps(saved, indent=2) + "\n")

    # --- names and places ----------------------------------------------------------------

    def frontend_port(self, deployable: str) -> int:
        return self.base_port + DEPLOYABLES.index(deployable)

    @property
    def stats_port(self) -> int:
        return self.base_port + 9

    def replica_port(self, deployable: str, n: int) -> int:
        return self.base_port + 10 * (DEPLOYABLES.index(deployable) + 1) + n

    def url(self, deployable: str) -> str:
        """Through the balancer."""
        return f"http://127.0.0.1:{self.frontend_port(deployable)}"

    def replica_url(self, deployable: str, n: int) -> str:
        return f"http://127.0.0.1:{self.replica_port(deployable, n)}"

    def schema(self, service: str) -> str:
        return f"{self.namespace}_{service}" if self.namespace else service

    @property
    def kafka_namespace(self) -> str:
        return f"{self.namespace}." if self.namespace else ""

    def members(self) -> Iterator[tuple[str, int]]:
        for deployable in DEPLOYABLES:
            for n in range(1, self.replicas + 1):
                yield deployable, n

    @property
    def run_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_dir(self) -> Path:
        return self.root / "logs"

    def pid_file(self, deployable: str, n: int) -> Path:
        return self.run_dir / f"{deployable}-{n}.pid"

    def log_file(self, deployable: str, n: int) -> Path:
        return self.log_dir / f"{deployable}-{n}.log"

    @property
    def haproxy_cfg(self) -> Path:
        return self.root / "haproxy.cfg"

    @property
    def haproxy_socket(self) -> Path:
        return self.run_dir / "haproxy.sock"

    @property
    def haproxy_pid_file(self) -> Path:
        return self.run_dir / "haproxy.pid"

    # --- one replica ---------------------------------------------------------------------

    def env_for(self, deployable: str, n: int) -> dict[str, str]:
        """A replica's environment: the caller's, the topology's settings, its own port."""
        port = str(self.replica_port(deployable, n))
        if deployable == PORTAL:
            own = {f"GSI_PORTAL_{s.upper()}_URL": self.url(s) for s in SERVICES}
            own |= {
                "GSI_PORTAL_HTTP_PORT": port,
                "GSI_PORTAL_PUBLIC_URL": self.url(PORTAL),  # redirects come back through the balancer
                "GSI_PORTAL_AUTH_MODE": "development",
                "GSI_PORTAL_DEV_USERS": json.dumps(USERS),
            }
        else:
            prefix = f"GSI_{deployable.upper()}_"
            own = {f"{prefix}HTTP_PORT": port, f"{prefix}DB_SCHEMA": self.schema(deployable)}
        return {
            **os.environ,
            **self.extra_env,  # before the topology's own: they are what makes it this topology
            "GSI_BUS": "kafka",
            "GSI_KAFKA_BOOTSTRAP_SERVERS": self.bootstrap_servers,
            "GSI_KAFKA_NAMESPACE": self.kafka_namespace,
            "GSI_DATABASE_URL": self.database_url,
            "GSI_DATA_DIR": str(self.root / "data"),  # the development keys, shared
            "GSI_HTTP_WORKERS": str(self.http_workers),
            **own,
        }

    def pid(self, deployable: str, n: int) -> int | None:
        """The replica's process, when it runs."""
        pid = _read_pid(self.pid_file(deployable, n))
        if pid is None:
            return None
        if (child := _CHILDREN.get(pid)) is not None:  # started here: its own word
            return pid if child.poll() is None else None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return None
        if deployable.encode() not in cmdline or not _running(pid):
            return None  # the pid was reused by another process
        return pid

    def start_replica(self, deployable: str, n: int) -> int:
        """Start the replica in the background (its own session: it outlives this process)."""
        if (pid := self.pid(deployable, n)) is not None:
            return pid
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with self.log_file(deployable, n).open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", deployable, "serve"],
                cwd=ROOT,
                env=self.env_for(deployable, n),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _CHILDREN[process.pid] = process
        self.pid_file(deployable, n).write_text(f"{process.pid}\n")
        return process.pid

    def ready(self, deployable: str, n: int) -> bool:
        probe = "/health" if deployable == PORTAL else "/ready"
        return _answers(self.replica_url(deployable, n) + probe)

    def wait_ready(self, deployable: str, n: int, timeout_s: float = 180.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.pid(deployable, n) is None:
                child = _CHILDREN.get(_read_pid(self.pid_file(deployable, n)) or -1)
                status = f" with status {child.poll()}" if child is not None else ""
                raise RuntimeError(f"{deployable}-{n} exited{status}; see {self.log_file(deployable, n)}")
            if self.ready(deployable, n):
                return
            time.sleep(0.5)
        log = self.log_file(deployable, n)
        raise TimeoutError(f"{deployable}-{n} not ready after {timeout_s} s; see {log}")

    def kill_replica(self, deployable: str, n: int) -> None:
        """SIGKILL, as in a crash: no cleanup, the relay's lease is left to expire."""
        if (pid := self.pid(deployable, n)) is not None:
            _signal_and_wait(pid, signal.SIGKILL, timeout_s=30)
        self.pid_file(deployable, n).unlink(missing_ok=True)

    def stop_replica(self, deployable: str, n: int, timeout_s: float = 60.0) -> None:
        """SIGTERM: the replica finishes its requests in flight and stops its workers; SIGKILL
        after ``timeout_s``."""
        if (pid := self.pid(deployable, n)) is not None:
            _signal_and_wait(pid, signal.SIGTERM, timeout_s=timeout_s)
        self.pid_file(deployable, n).unlink(missing_ok=True)

    # --- HAProxy -------------------------------------------------------------------------

    def haproxy_config(self) -> str:
        lines = [
            "# Written by scripts/cluster.py (deploy/local/cluster.sh) at each start: edit the",
            "# generator, not this file. One frontend per service, round robin over its replicas.",
            "global",
            "    maxconn 4000",
            f"    stats socket {self.haproxy_socket} mode 600 level admin",
            "",
            "defaults",
            "    mode http",
            "    timeout connect 2s",
            "    timeout client 120s",
            "    timeout server 120s  # a 200,000-row import upload, a large export",
            "    timeout http-request 30s",
            "    timeout queue 15s",
            "    option http-keep-alive",
            # Health: a replica answers 200 on /ready once its database and workers are; three
            # failed checks take it out, two good ones put it back. A check may take 5 s (by
            # default as long as "inter"): a replica alone under load, on a small machine,
            # answers slowly but answers, and must not be taken out with the last one left.
            # One stopped or killed is known at once anyway: its connections are refused.
            "    timeout check 5s",
            "    default-server check inter 2s fastinter 1s downinter 1s fall 3 rise 2",
            # A connection refused (a replica stopping or just killed, before its check fails):
            # try again, on another replica (redispatch at every retry).
            "    retries 3",
            "    option redispatch 1",
            # Layer-7 retries: also when a replica closed the connection without an answer (it
            # died with the request) or answered garbage. HAProxy re-sends the request as is.
            # That is safe for GET/HEAD, and for a command carrying an Idempotency-Key (ADR 21):
            # its effect commits once whoever runs it — a retry gets the kept answer (replayed),
            # or 409 request.idempotency_key_in_progress / request.idempotency_answer_lost when
            # the first run died holding the key, never a second run. A command without a key
            # is not retried past a connection failure: its client sees the 502 and decides
            # (each backend's disable-l7-retry below).
            "    retry-on conn-failure empty-response junk-response",
            "",
            "frontend stats",
            f"    bind 127.0.0.1:{self.stats_port}",
            "    stats enable",
            "    stats uri /",
            "    stats refresh 5s",
        ]
        for deployable in DEPLOYABLES:
            probe = "/health" if deployable == PORTAL else "/ready"
            lines += [
                "",
                f"frontend {deployable}",
                f"    bind 127.0.0.1:{self.frontend_port(deployable)}",
                f"    default_backend {deployable}",
                "",
                f"backend {deployable}",
                "    balance roundrobin",
                f"    option httpchk GET {probe}",
                "    http-check expect status 200",
                "    http-request disable-l7-retry if !METH_GET !{ req.hdr(idempotency-key) -m found }",
            ]
            if deployable == PORTAL:
                # The portal keeps its sessions in its process's memory (ADR 20): a browser
                # stays on the replica that signed it in (a cookie names it). Its death signs
                # that replica's users out; a shared session store would lift this.
                lines += ["    cookie gsi_portal_replica insert indirect nocache httponly"]
            for n in range(1, self.replicas + 1):
                cookie = f" cookie p{n}" if deployable == PORTAL else ""
                lines += [f"    server {deployable}-{n} 127.0.0.1:{self.replica_port(deployable, n)}{cookie}"]
        return "\n".join(lines) + "\n"

    def haproxy_pid(self) -> int | None:
        try:
            pid = int(self.haproxy_pid_file.read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        return pid if b"haproxy" in cmdline and str(self.haproxy_cfg).encode() in cmdline else None

    def start_haproxy(self) -> None:
        if self.haproxy_pid() is not None:
            return
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.haproxy_cfg.write_text(self.haproxy_config())
        checked = subprocess.run(
            [haproxy, "-c", "-q", "-f", str(self.haproxy_cfg)], capture_output=True, text=True, check=False
        )
        if checked.returncode != 0:
            raise RuntimeError(f"{self.haproxy_cfg} refused by haproxy -c:\n{checked.stderr}")
        # -D: it daemonizes and writes its pid once listening; our call returns then.
        subprocess.run(
            [haproxy, "-D", "-f", str(self.haproxy_cfg), "-p", str(self.haproxy_pid_file)],
            check=True,
            stdin=subprocess.DEVNULL,
        )

    def stop_haproxy(self) -> None:
        if (pid := self.haproxy_pid()) is not None:
            _signal_and_wait(pid, signal.SIGTERM, timeout_s=10)
        self.haproxy_pid_file.unlink(missing_ok=True)

    def balancer_servers(self) -> list[dict[str, str]]:
        """HAProxy's ``show stat`` rows of the replicas (one per server, fields by name:
        ``status``, ``chkfail``, ``chkdown``, ``check_status`` — ``L7OK``, ``L7TOUT``,
        ``L7STS``… —, ``check_code``, ``last_chk``), read from its admin socket."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(5)
            connection.connect(str(self.haproxy_socket))
            connection.sendall(b"show stat\n")
            chunks = []
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        lines = b"".join(chunks).decode().splitlines()
        rows = csv.DictReader([lines[0].removeprefix("# "), *lines[1:]])
        return [row for row in rows if row.get("svname") not in (None, "FRONTEND", "BACKEND")]

    def balancer_ready(self) -> bool:
        return all(_answers(self.url(d) + ("/health" if d == PORTAL else "/ready")) for d in DEPLOYABLES)

    # --- the whole topology --------------------------------------------------------------

    def ensure_database(self) -> None:
        """Create the topology's database on the server when it is missing."""
        url = make_url(self.database_url)
        server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with server.connect() as connection:
                exists = connection.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
                ).first()
                if exists is None:
                    connection.execute(text(f'CREATE DATABASE "{url.database}"'))
        finally:
            server.dispose()

    def start(self, timeout_s: float = 240.0) -> None:
        self.save()
        self.ensure_database()
        # The services first (the portal's pages call them), all replicas at once: they
        # migrate one at a time under the advisory lock, and create their topics.
        for service in SERVICES:
            for n in range(1, self.replicas + 1):
                self.start_replica(service, n)
        for service in SERVICES:
            for n in range(1, self.replicas + 1):
                self.wait_ready(service, n, timeout_s)
        for n in range(1, self.replicas + 1):
            self.start_replica(PORTAL, n)
        for n in range(1, self.replicas + 1):
            self.wait_ready(PORTAL, n, timeout_s)
        self.start_haproxy()
        deadline = time.monotonic() + 30
        while not self.balancer_ready():  # its health checks take two rounds to mark them up
            if time.monotonic() > deadline:
                raise TimeoutError(f"HAProxy does not answer; see http://127.0.0.1:{self.stats_port}/")
            time.sleep(0.5)

    def stop(self) -> None:
        self.stop_haproxy()
        running = [(d, n, pid) for d, n in self.members() if (pid := self.pid(d, n)) is not None]
        for _, _, pid in running:  # all at once: each takes a few seconds to stop its workers
            os.kill(pid, signal.SIGTERM)
        for d, n, pid in running:
            _signal_and_wait(pid, signal.SIGTERM, timeout_s=60)
            self.pid_file(d, n).unlink(missing_ok=True)

    def status(self) -> list[str]:
        """One line per process; a line starting with '!' is something down."""
        lines = []
        for d, n in self.members():
            pid = self.pid(d, n)
            state = "ready" if pid and self.ready(d, n) else "running, not ready" if pid else "down"
            mark = " " if state == "ready" else "!"
            lines.append(f"{mark} {f'{d}-{n}':<16} {self.replica_url(d, n):<24} pid {pid or '-':<8} {state}")
        haproxy = self.haproxy_pid()
        mark = " " if haproxy else "!"
        lines.append(f"{mark} haproxy      stats http://127.0.0.1:{self.stats_port}/  pid {haproxy or '-'}")
        lines += [f"  {d:<14} {self.url(d)}" for d in DEPLOYABLES]
        return lines


# Replicas this process started: waited for when killed, so that none stays a zombie.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def delete_topics(bootstrap_servers: str, prefix: str) -> None:
    """Delete the topics whose names start with ``prefix`` (a run's namespace), on brokers that
    outlive the run."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers)
    try:
        ours = [t for t in admin.list_topics() if t.startswith(prefix)]
        if ours:
            admin.delete_topics(ours)
    finally:
        admin.close()


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text())
    except (FileNotFoundError, ValueError):
        return None


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in {"Z", "X"}


def _signal_and_wait(pid: int, signum: signal.Signals, *, timeout_s: float) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)
    deadline = time.monotonic() + timeout_s
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _running(pid):
        os.kill(pid, signal.SIGKILL)
        while _running(pid):
            time.sleep(0.1)
    if (child := _CHILDREN.pop(pid, None)) is not None:
        child.wait()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return bool(200 <= response.status < 300)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.cluster", description=__doc__)
    parser.add_argument("command", choices=["start", "stop", "status", "config"])
    args = parser.parse_args(argv)
    root = Path(os.environ.get("GSI_CLUSTER_DIR") or DEFAULT_DIR)
    if args.command == "stop":
        if (saved := Topology.load(root)) is not None:
            saved.stop()
        return 0
    if args.command == "status":
        saved = Topology.load(root)
        if saved is None:
            print("cluster: not started", file=sys.stderr)
            return 1
        lines = saved.status()
        print("\n".join(lines))
        return 1 if any(line.startswith("!") for line in lines) else 0
    if args.command == "config":  # the running topology's, else the environment's
        print((Topology.load(root) or Topology.from_env()).haproxy_config(), end="")
        return 0
    topology = Topology.from_env()
    if (saved := Topology.load(root)) is not None and saved != topology:
        saved.stop()  # started before with other settings: those processes go first
    topology.start()
    print("\n".join(topology.status()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
