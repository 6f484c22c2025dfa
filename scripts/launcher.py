"""Start the four services (and the portal, when asked) as separate processes, wait until they
answer, stop them cleanly.

Used by the embedded run command (``make run``) and by the end-to-end tests against real
PostgreSQL and Kafka: the same code path, only the environment differs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SERVICES = ("registration", "interventions", "reporting", "notifications")
PORTAL = "portal"  # the web portal listens on base_port itself


@dataclass
class ServiceProcesses:
    """The four services, each its own process, with ports ``base_port + 1 …``; the portal,
    started after them by :meth:`start_portal`, on ``base_port``."""

    env: Mapping[str, str]
    log_dir: Path
    base_port: int = 8000
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.port(service)}"

    def port(self, service: str) -> int:
        return self.base_port if service == PORTAL else self.base_port + SERVICES.index(service) + 1

    def start(self, timeout_s: float = 90.0) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for service in SERVICES:
            self.start_one(service)
        for service in SERVICES:
            self.wait_ready(service, timeout_s)

    def start_one(self, service: str) -> None:
        env = {**os.environ, **self.env, f"GSI_{service.upper()}_HTTP_PORT": str(self.port(service))}
        log = (self.log_dir / f"{service}.log").open("ab")
        self.processes[service] = subprocess.Popen(
            [sys.executable, "-m", service, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def start_portal(self, env: Mapping[str, str] | None = None, timeout_s: float = 60.0) -> None:
        """The portal, pointed at the four services; ``env``: its own settings (GSI_PORTAL_…)."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        urls = {f"GSI_PORTAL_{s.upper()}_URL": self.url(s) for s in SERVICES}
        own = {**urls, "GSI_PORTAL_HTTP_PORT": str(self.port(PORTAL)), **(env or {})}
        log = (self.log_dir / f"{PORTAL}.log").open("ab")
        self.processes[PORTAL] = subprocess.Popen(
            [sys.executable, "-m", PORTAL, "serve"],
            env={**os.environ, **self.env, **own},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.wait_ready(PORTAL, timeout_s)

    def wait_ready(self, service: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            process = self.processes[service]
            if process.poll() is not None:
                raise RuntimeError(
                    f"{service} exited with {process.returncode}; see {self.log_dir}/{service}.log"
                )
            if get_json(f"{self.url(service)}/{'health' if service == PORTAL else 'ready'}") is not None:
                return
            time.sleep(0.25)
        raise TimeoutError(f"{service} not ready after {timeout_s}s; see {self.log_dir}/{service}.log")

    def kill(self, service: str) -> None:
        """Kill the process at once (SIGKILL): no cleanup, as in a crash."""
        process = self.processes.pop(service)
        process.kill()
        process.wait()

    def stop(self, timeout_s: float = 20.0) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()


def get_json(url: str) -> Any:
    """The JSON body of a 2xx answer, or None (not up yet, not ready, refused)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
        return None


def post_json(url: str, body: Any, headers: Mapping[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")
