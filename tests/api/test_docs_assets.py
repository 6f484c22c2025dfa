"""``/docs`` of every service loads Swagger UI from the service itself — nothing from a CDN, no
inline script — and serves exactly the third-party files that were reviewed (issue 18)."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gsi_kernel.clock import FixedClock
from gsi_kernel.http.docs import ASSETS, STATIC_URL, pinned_checksums
from interventions.bootstrap import build as build_interventions
from interventions.bootstrap import build_app as build_interventions_app
from interventions.settings import InterventionsSettings
from notifications.bootstrap import build as build_notifications
from notifications.bootstrap import build_app as build_notifications_app
from notifications.settings import NotificationsSettings
from registration.bootstrap import build as build_registration
from registration.bootstrap import build_app as build_registration_app
from registration.settings import RegistrationSettings
from reporting.bootstrap import build as build_reporting
from reporting.bootstrap import build_app as build_reporting_app
from reporting.settings import ReportingSettings
from tests.api.conftest import NOW

SERVICES: dict[str, Callable[[Path], FastAPI]] = {
    "registration": lambda d: build_registration_app(
        build_registration(RegistrationSettings(data_dir=d), clock=FixedClock(NOW))
    ),
    "interventions": lambda d: build_interventions_app(
        build_interventions(InterventionsSettings(data_dir=d), clock=FixedClock(NOW))
    ),
    "reporting": lambda d: build_reporting_app(
        build_reporting(ReportingSettings(data_dir=d), clock=FixedClock(NOW))
    ),
    "notifications": lambda d: build_notifications_app(
        build_notifications(NotificationsSettings(data_dir=d, run_workers=False), clock=FixedClock(NOW))
    ),
}
MEDIA = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
REFERENCE = re.compile(r"""(?:src|href)="([^"]+)\"""")


@pytest.fixture(params=sorted(SERVICES))
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(SERVICES[request.param](tmp_path)) as client:
        yield client


def test_docs_loads_everything_from_the_service_itself(client: TestClient) -> None:
    page = client.get("/docs")  # no token, as before
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert not re.search(r"https?://", page.text), "the page names another site"
    assert "<script>" not in page.text, "an inline script: the CSP forbids it"
    references = REFERENCE.findall(page.text)
    assert len(references) == 4  # favicon, CSS, Swagger UI, our start-up script
    for reference in references:
        assert reference.startswith(STATIC_URL + "/")
        answer = client.get(reference)
        assert answer.status_code == 200, reference
        assert answer.headers["content-type"].startswith(MEDIA[Path(reference).suffix]), reference
    openapi = re.search(r'data-openapi-url="([^"]+)"', page.text)
    assert openapi is not None
    assert client.get(openapi.group(1)).status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "'unsafe-inline'" not in csp
    assert client.get("/redoc").status_code == 404  # ReDoc loaded its script from a CDN


def test_the_served_third_party_files_are_the_pinned_ones(client: TestClient) -> None:
    pinned = pinned_checksums()
    assert set(pinned) == set(ASSETS) - {"swagger-init.js"}  # every file but our own
    for name, digest in pinned.items():
        answer = client.get(f"{STATIC_URL}/{name}")
        assert answer.status_code == 200, name
        assert hashlib.sha256(answer.content).hexdigest() == digest, f"{name} is not the reviewed file"
    assert "Apache License" in client.get(f"{STATIC_URL}/LICENSE").text
    assert "SmartBear" in client.get(f"{STATIC_URL}/NOTICE").text


def test_assets_are_cached_and_nothing_else_is_served(client: TestClient) -> None:
    answer = client.get(f"{STATIC_URL}/swagger-ui.css")
    assert answer.headers["cache-control"] == "public, max-age=86400"
    again = client.get(f"{STATIC_URL}/swagger-ui.css", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    # The package's other files (a demo page that loads the Petstore from swagger.io) are not.
    missing = client.get(f"{STATIC_URL}/index.html")
    assert missing.status_code == 404
    assert missing.json()["message"]["en"] == "This documentation file does not exist."


@pytest.mark.skipif(not os.access("/usr/bin/chromium", os.X_OK), reason="Debian's Chromium is not installed")
def test_swagger_ui_renders_under_its_csp_with_nothing_from_outside(tmp_path: Path) -> None:
    """In Chromium, every request answered by the registration service (through the test
    client: no server to start), any other one failed: the operations show, no CSP report."""
    from playwright.sync_api import Route, sync_playwright

    from tests.portal.conftest import CHROMIUM, CHROMIUM_ARGS

    origin = "http://registration.test"
    outside: list[str] = []
    complaints: list[str] = []
    with TestClient(SERVICES["registration"](tmp_path)) as client, sync_playwright() as playwright:

        def answer(route: Route) -> None:
            url = route.request.url
            if not url.startswith(origin + "/"):
                outside.append(url)
                route.abort()
                return
            got = client.request(route.request.method, url.removeprefix(origin))
            route.fulfill(status=got.status_code, headers=dict(got.headers), body=got.content)

        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            page.route("**/*", answer)
            page.on("console", lambda m: complaints.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: complaints.append(str(e)))
            page.goto(origin + "/docs")
            page.locator(".opblock-summary-path", has_text="/health").first.wait_for(timeout=20_000)
            assert page.locator(".opblock").count() > 10
        finally:
            browser.close()
    assert outside == []
    assert complaints == []
