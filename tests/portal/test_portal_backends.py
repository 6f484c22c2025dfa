"""The portal against the real services (processes, embedded mode): a backend that does not
answer gives the person a page in their language, never a traceback."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from portal.bootstrap import build_app
from portal.settings import DevUser, PortalSettings
from scripts.launcher import ServiceProcesses

pytestmark = pytest.mark.portal


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens there once the socket is closed


@pytest.fixture
def portal_without_reporting(dev_system: ServiceProcesses) -> Iterator[TestClient]:
    settings = PortalSettings(
        auth_mode="development",
        dev_users=[
            DevUser(user_id="karine@org-sherbrooke", roles=["org_staff"], organization="org-sherbrooke")
        ],
        registration_url=dev_system.url("registration"),
        interventions_url=dev_system.url("interventions"),
        reporting_url=f"http://127.0.0.1:{closed_port()}",
        notifications_url=dev_system.url("notifications"),
        backend_timeout_seconds=2,
    )
    with TestClient(build_app(settings), follow_redirects=False) as client:
        yield client


def sign_in(client: TestClient) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/signin").text)
    assert token
    signed = client.post("/signin/dev", data={"user_id": "karine@org-sherbrooke", "csrf_token": token[1]})
    assert signed.status_code == 303, signed.text


def test_a_service_that_does_not_answer_gives_a_page_in_french_not_a_traceback(
    portal_without_reporting: TestClient,
) -> None:
    sign_in(portal_without_reporting)
    home = portal_without_reporting.get("/")
    assert home.status_code == 503
    assert home.headers["content-type"].startswith("text/html")
    assert "<h1>Désolé, le service est indisponible</h1>" in home.text
    assert "Traceback" not in home.text
    assert "ConnectError" not in home.text


def test_the_same_page_in_english(portal_without_reporting: TestClient) -> None:
    sign_in(portal_without_reporting)
    page = portal_without_reporting.get("/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    portal_without_reporting.post("/language", data={"language": "en", "csrf_token": token[1]})
    home = portal_without_reporting.get("/")
    assert home.status_code == 503
    assert "<h1>Sorry, the service is unavailable</h1>" in home.text


def test_a_token_the_services_refuse_sends_the_person_to_sign_in_again(dev_system: ServiceProcesses) -> None:
    settings = PortalSettings(
        auth_mode="development",
        dev_users=[
            DevUser(user_id="karine@org-sherbrooke", roles=["org_staff"], organization="org-sherbrooke")
        ],
        **{
            f"{s}_url": dev_system.url(s)
            for s in ("registration", "interventions", "reporting", "notifications")
        },
    )
    with TestClient(build_app(settings), follow_redirects=False) as client:
        client.get("/signin")
        anonymous = client.cookies["gsi_session"]
        sign_in(client)
        assert client.cookies["gsi_session"] != anonymous  # a new session id at sign-in
        assert client.app.state.sessions.load(anonymous) is None  # type: ignore[attr-defined]
        assert client.get("/").status_code == 200
        # The services stop accepting the session's token (as when it expires or is revoked):
        # the portal forgets it and asks to sign in again.
        store = client.app.state.sessions  # type: ignore[attr-defined]
        session_id = client.cookies["gsi_session"]
        data = store.load(session_id)
        data["tokens"]["access_token"] = "not-a-token"
        store.save(session_id, data)
        again = client.get("/")
        assert again.status_code == 303
        assert again.headers["location"] == "/signin?next=/"
        assert client.get("/").headers["location"] == "/signin?next=/"  # signed out
