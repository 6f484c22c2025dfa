"""The portal tests' fixtures: the four services and the portal as processes in embedded mode
(as ``make run`` starts them), the portal in process signed in as a staff member, a client for
the services' APIs; for the browser tests, Debian's Chromium driven by Playwright, Keycloak
from deploy/local/keycloak.sh, and axe-core on every page a test visits."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from scripts.demo_plan import USERS
from scripts.launcher import ServiceProcesses
from tests.portal.interventions_support import STAFF
from tests.portal.persons_support import portal_as
from tests.portal.support import ORG, PORT_SHIFT, declare_one_intervention

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KEYCLOAK_SCRIPT = ROOT / "deploy" / "local" / "keycloak.sh"
KEYCLOAK_PORTAL_PORT = 18300  # the realm's redirect URI names it


def _missing(what: str) -> None:
    reason = f"{what} not available: run `make test` or scripts/setup.sh, which install it"
    if os.environ.get("GSI_REQUIRE_INFRA") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """A client for the services' APIs (setting up what a page then shows)."""
    with httpx.Client(timeout=30) as client:
        yield client


@pytest.fixture
def karine(dev_system: ServiceProcesses) -> Iterator[TestClient]:
    """Karine, staff of the Sherbrooke organization, signed in to the in-process portal."""
    with portal_as(dev_system, STAFF) as client:
        yield client


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for the portal tier. Package-scoped, not session-scoped: Playwright's sync API
    keeps an event loop running in the main thread while it is open, and a later tier's
    `asyncio.run` would refuse to start inside it."""
    if not os.access(CHROMIUM, os.X_OK):
        _missing(f"Chromium ({CHROMIUM})")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="fr-CA")
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


def _start(
    tmp: Path, base_port: int, service_env: dict[str, str], portal_env: dict[str, str]
) -> ServiceProcesses:
    env = {"GSI_DATA_DIR": str(tmp), "GSI_BUS": "embedded", **service_env}
    system = ServiceProcesses(env=env, log_dir=tmp / "logs", base_port=base_port)
    try:
        system.start(timeout_s=120)
        system.start_portal(portal_env)
    except BaseException:
        system.stop()
        raise
    return system


@pytest.fixture(scope="package")
def dev_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcesses]:
    """The services (embedded mode) and the portal with development sign-in, one intervention
    declared this quarter for the test organization. Stopped with the portal tier (package
    scope): its consumers poll, and would take CPU from the tiers after it."""
    tmp = tmp_path_factory.mktemp("portal-dev")
    portal_env = {"GSI_PORTAL_AUTH_MODE": "development", "GSI_PORTAL_DEV_USERS": json.dumps(USERS)}
    system = _start(tmp, 18500 + PORT_SHIFT, {}, portal_env)
    try:
        with httpx.Client(timeout=30) as http:
            token = http.post(
                f"{system.url('registration')}/dev/token",
                json={"user_id": "karine@org-sherbrooke", "roles": ["org_staff"], "organization": ORG},
            ).json()["access_token"]
            declare_one_intervention(http, system, {"Authorization": f"Bearer {token}"})
        yield system
    finally:
        system.stop()


@pytest.fixture(scope="session")
def keycloak_url() -> Iterator[str]:
    """A real Keycloak with the GSI realm: the one scripts/with-infra.sh started (it waits for
    it), else started here and stopped at the end of the session."""
    if shutil.which("mvn") is None and not (ROOT / ".cache" / "keycloak-26.5.6").exists():
        _missing("Maven (to fetch Keycloak)")
    managed_outside = "GSI_TEST_KEYCLOAK_URL" in os.environ  # scripts/with-infra.sh stops it
    was_running = subprocess.run([KEYCLOAK_SCRIPT, "status"], capture_output=True).returncode == 0
    result = subprocess.run([KEYCLOAK_SCRIPT, "start"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    url = result.stdout.strip().partition("=")[2]
    ours = not (managed_outside or was_running)
    try:
        yield url
    finally:
        if ours:
            subprocess.run([KEYCLOAK_SCRIPT, "stop"], capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def keycloak_system(
    keycloak_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcesses]:
    """The services verifying Keycloak's tokens through its JWKS (no development issuer), and
    the portal signing in with OpenID Connect."""
    tmp = tmp_path_factory.mktemp("portal-keycloak")
    realm = f"{keycloak_url}/realms/gsi"
    service_env = {
        "GSI_DEV_ISSUER_ENABLED": "false",
        "GSI_JWKS_URL": f"{realm}/protocol/openid-connect/certs",
        "GSI_JWT_ISSUER": realm,
        "GSI_JWT_AUDIENCE": "gsi",
    }
    portal_env = {
        "GSI_PORTAL_AUTH_MODE": "oidc",
        "GSI_PORTAL_OIDC_DISCOVERY_URL": f"{realm}/.well-known/openid-configuration",
        "GSI_PORTAL_OIDC_CLIENT_ID": "gsi-portal",
        "GSI_PORTAL_OIDC_CLIENT_SECRET": "gsi-portal-dev-secret",
    }
    system = _start(tmp, KEYCLOAK_PORTAL_PORT, service_env, portal_env)
    try:
        yield system
    finally:
        system.stop()
