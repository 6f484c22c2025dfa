"""Staying signed in, in process (no services: their answers come from a stand-in transport):
an access token about to expire is renewed with the refresh token (Authlib's refresh grant)
instead of sending the person to sign in; a refused renewal, or a session the server forgot,
sends them to sign in and back, a form they were sending kept for after (ADR 20).
The same with the real Keycloak: tests/portal/test_browser.py."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from authlib.integrations.base_client import OAuthError
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from portal.auth import sign_in
from portal.bootstrap import build_app
from portal.sessions import LOST, SessionStore, has_kept_form, keep_form, kept_form
from portal.settings import DevUser, PortalSettings
from scripts.launcher import PORTAL, ServiceProcesses
from tests.portal.interventions_support import unique
from tests.portal.persons_support import csrf_of, registration_form
from tests.portal.support import assert_accessible
from tests.portal.test_bad_input_browser import fill_registration

pytestmark = pytest.mark.portal

STAFF = {"user_id": "karine", "name": "Karine", "roles": ["org_staff"], "organization": "org-sherbrooke"}
REALM = "http://127.0.0.1:1/realms/gsi/.well-known/openid-configuration"


class Services:
    """The services' answers the registration form needs, and the tokens each call carried."""

    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.registered: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.tokens.append(request.headers.get("authorization", ""))
        if request.url.path == "/dev/token":
            return httpx.Response(200, json={"access_token": "dev-" + json.loads(request.content)["user_id"]})
        if request.url.path == "/persons" and request.method == "POST":
            self.registered.append(json.loads(request.content))
            person = {"person_id": "0b7d5a52-1c1e-4b8e-9a53-3f7c8f4b1a11", "eligibility": []}
            return httpx.Response(201, json=person)
        return httpx.Response(404, json={"code": "not_found"})


class Provider:
    """Stands for Authlib's client: the token endpoint's answers to the refresh grant."""

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.asked: list[dict[str, Any]] = []

    async def fetch_access_token(self, redirect_uri: str | None = None, **kwargs: Any) -> dict[str, Any]:
        self.asked.append(kwargs)
        if self.refuse:
            raise OAuthError(error="invalid_grant", description="Session not active")
        return {"access_token": "renewed", "refresh_token": "r2", "expires_at": int(time.time()) + 300}


@pytest.fixture
def services() -> Services:
    return Services()


@pytest.fixture
def oidc(services: Services) -> Iterator[TestClient]:
    settings = PortalSettings(auth_mode="oidc", oidc_discovery_url=REALM)
    with TestClient(
        build_app(settings, transport=httpx.MockTransport(services)), follow_redirects=False
    ) as c:
        yield c


def signed_in_with(client: TestClient, provider: Provider, expires_in: float) -> str:
    """A session as the OpenID Connect callback leaves it, its token expiring in ``expires_in``."""
    client.app.state.oidc = provider  # type: ignore[attr-defined]
    store: SessionStore = client.app.state.sessions  # type: ignore[attr-defined]
    session_id = SessionStore.new_id()
    tokens = {"access_token": "old", "refresh_token": "r1", "expires_at": time.time() + expires_in}
    store.save(session_id, {"user": {**STAFF, "assigned_organizations": []}, "tokens": tokens})
    client.cookies.set("gsi_session", session_id)
    return session_id


def test_a_token_about_to_expire_is_renewed_and_the_work_goes_on(
    oidc: TestClient, services: Services
) -> None:
    provider = Provider()
    session_id = signed_in_with(oidc, provider, expires_in=2)
    form = registration_form(oidc, family_name="Haddad", given_name="Amina")
    assert provider.asked == [{"grant_type": "refresh_token", "refresh_token": "r1"}]
    sent = oidc.post("/personnes/nouvelle", data=form)
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"].startswith("/personnes/")
    assert services.tokens == ["Bearer renewed"]  # registration got the new token
    tokens = oidc.app.state.sessions.load(session_id)["tokens"]  # type: ignore[attr-defined]
    assert tokens["access_token"] == "renewed"
    assert tokens["refresh_token"] == "r2"
    assert len(provider.asked) == 1  # renewed once: the new token is valid for minutes


def test_a_token_with_time_left_is_not_renewed(oidc: TestClient) -> None:
    provider = Provider()
    signed_in_with(oidc, provider, expires_in=600)
    assert oidc.get("/personnes/nouvelle").status_code == 200
    assert provider.asked == []


def test_a_refused_renewal_sends_to_sign_in_and_back(oidc: TestClient) -> None:
    signed_in_with(oidc, Provider(refuse=True), expires_in=-10)
    answer = oidc.get("/personnes/nouvelle?x=1")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=/personnes/nouvelle%3Fx%3D1"
    # Signed out here: the next page asks to sign in without asking the provider again.
    assert oidc.get("/personnes/nouvelle").headers["location"] == "/signin?next=/personnes/nouvelle"


def test_a_form_sent_when_the_renewal_is_refused_is_kept_not_sent(
    oidc: TestClient, services: Services
) -> None:
    provider = Provider()
    session_id = signed_in_with(oidc, provider, expires_in=600)
    form = registration_form(oidc, family_name="Haddad", given_name="Amina")
    provider.refuse = True
    tokens = oidc.app.state.sessions  # type: ignore[attr-defined]
    data = tokens.load(session_id)
    data["tokens"]["expires_at"] = time.time() - 1  # it expired while the form was being filled
    tokens.save(session_id, data)
    sent = oidc.post(
        "/personnes/nouvelle", data=form, headers={"referer": "http://testserver/personnes/nouvelle"}
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == "/signin?next=/personnes/nouvelle"
    assert services.registered == []
    session = tokens.load(session_id)  # the same session, signed out, holding the form
    assert "user" not in session
    fields = dict(kept_form(session, "/personnes/nouvelle") or [])
    assert fields["family_name"] == "Haddad"
    assert "csrf_token" not in fields


def test_a_field_check_that_meets_the_refused_renewal_first_does_not_lose_the_form(
    oidc: TestClient, services: Services
) -> None:
    provider = Provider()
    session_id = signed_in_with(oidc, provider, expires_in=600)
    form = registration_form(oidc, family_name="Haddad", given_name="Amina")
    provider.refuse = True
    store = oidc.app.state.sessions  # type: ignore[attr-defined]
    data = store.load(session_id)
    data["tokens"]["expires_at"] = time.time() - 1
    store.save(session_id, data)
    # Leaving a field checks it (htmx): the renewal is refused there, the session signed out.
    check = oidc.post(
        "/personnes/formulaires/registration/family_name",
        data=form,
        headers={"hx-request": "true", "x-csrf-token": form["csrf_token"]},
    )
    assert check.status_code == 303
    # The form itself comes next, with the token of the session just signed out.
    sent = oidc.post(
        "/personnes/nouvelle", data=form, headers={"referer": "http://testserver/personnes/nouvelle"}
    )
    assert sent.headers["location"] == "/signin?next=/personnes/nouvelle"
    assert services.registered == []
    fields = dict(kept_form(store.load(session_id), "/personnes/nouvelle") or [])
    assert fields["given_name"] == "Amina"


@pytest.fixture
def dev(services: Services) -> Iterator[TestClient]:
    settings = PortalSettings(
        auth_mode="development",
        dev_users=[
            DevUser(user_id="karine", roles=["org_staff"], organization="org-sherbrooke"),
            DevUser(user_id="lise", roles=["org_staff"], organization="org-sherbrooke"),
        ],
    )
    with TestClient(
        build_app(settings, transport=httpx.MockTransport(services)), follow_redirects=False
    ) as c:
        yield c


def dev_sign_in(client: TestClient, user_id: str, then: str = "/") -> None:
    page = client.get("/signin")
    signed = client.post(
        "/signin/dev", data={"user_id": user_id, "next": then, "csrf_token": csrf_of(page.text)}
    )
    assert signed.status_code == 303, signed.text


def idle_too_long(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    store: SessionStore = client.app.state.sessions  # type: ignore[attr-defined]
    later = time.monotonic() + 31 * 60
    monkeypatch.setattr(store, "_clock", lambda: later)


@pytest.mark.parametrize("who_signs_in", ["karine", "lise"])
def test_a_form_sent_after_the_idle_timeout_is_back_after_signing_in_only_for_its_author(
    dev: TestClient, services: Services, monkeypatch: pytest.MonkeyPatch, who_signs_in: str
) -> None:
    dev_sign_in(dev, "karine")
    form = registration_form(dev, family_name="Haddad", given_name="Amina")
    idle_too_long(dev, monkeypatch)
    sent = dev.post(
        "/personnes/nouvelle", data=form, headers={"referer": "http://testserver/personnes/nouvelle"}
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == "/signin?next=/personnes/nouvelle"
    assert services.registered == []
    assert "Votre session avait pris fin" in dev.get(sent.headers["location"]).text
    dev_sign_in(dev, who_signs_in, then="/personnes/nouvelle")
    page = dev.get("/personnes/nouvelle").text
    if who_signs_in == "karine":
        assert 'value="Haddad"' in page
        assert "Ce que vous aviez saisi est de retour" in page
        again = dev.post("/personnes/nouvelle", data={**form, "csrf_token": csrf_of(page)})
        assert again.status_code == 303
        assert len(services.registered) == 1
    else:  # someone else on the same browser: not the lost session's form
        assert 'value="Haddad"' not in page
        assert "de retour" not in page


def test_a_form_without_any_token_after_a_lost_session_is_still_refused(dev: TestClient) -> None:
    dev.cookies.set("gsi_session", SessionStore.new_id())
    refused = dev.post("/personnes/nouvelle", data={"family_name": "Haddad"})
    assert refused.status_code == 403
    assert "Ce formulaire a expiré" in refused.text


def test_a_kept_form_is_shown_once_and_not_after_fifteen_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    session: dict[str, Any] = {}
    keep_form(session, "/personnes/nouvelle", [("family_name", "Haddad")], "karine")
    assert has_kept_form(session)
    assert kept_form(session, "/ailleurs") is None
    assert has_kept_form(session)
    assert kept_form(session, "/personnes/nouvelle") == [("family_name", "Haddad")]
    assert kept_form(session, "/personnes/nouvelle") is None
    keep_form(session, "/personnes/nouvelle", [("family_name", "Haddad")], None)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 16 * 60)
    assert kept_form(session, "/personnes/nouvelle") is None


def test_a_form_larger_than_any_of_the_portals_is_not_kept() -> None:
    session: dict[str, Any] = {}
    keep_form(session, "/personnes/nouvelle", [("notes", "x" * 40_000)], None)
    keep_form(session, "/personnes/nouvelle", [(f"f{i}", "") for i in range(300)], None)
    assert not has_kept_form(session)


def test_signing_in_carries_the_kept_form_to_its_author_only() -> None:
    from portal.auth import User

    for lost_user, signing_in, carried in (
        ("karine", "karine", True),
        (None, "karine", True),
        ("karine", "lise", False),
    ):
        session: dict[str, Any] = {LOST: {"user": lost_user}, "csrf": "x"}
        keep_form(session, "/personnes/nouvelle", [("family_name", "Haddad")], lost_user)
        sign_in(
            session, User(user_id=signing_in, name=signing_in, roles=("org_staff",)), {"access_token": "t"}
        )
        assert has_kept_form(session) is carried, (lost_user, signing_in)
        assert LOST not in session
        assert "csrf" not in session


# --- with the real Keycloak (its test realm's access tokens live 20 seconds) -------------------

TOKEN_SECONDS = 20


def keycloak_sign_in(page: Page) -> None:
    page.locator("#username").fill("sophie@org-sherbrooke")
    page.locator("#password").fill("gsi-demo")
    page.locator("#kc-login").click()


def test_keycloak_tokens_are_renewed_mid_form_and_a_refused_renewal_signs_in_again_and_back(
    page: Page, keycloak_system: ServiceProcesses, keycloak_url: str
) -> None:
    portal = keycloak_system.url(PORTAL)
    page.goto(f"{portal}/personnes/nouvelle")
    keycloak_sign_in(page)
    expect(page).to_have_url(f"{portal}/personnes/nouvelle")
    family = unique("Jeton")
    fill_registration(page, family, "Maya")
    # The access token expires while the form is being filled in.
    page.wait_for_timeout((TOKEN_SECONDS + 2) * 1000)
    to_keycloak: list[str] = []
    page.on("request", lambda r: to_keycloak.append(r.url) if r.url.startswith(keycloak_url) else None)
    page.get_by_role("button", name="Inscrire la personne").click()
    # Registration accepted the renewed token: the file, without a detour through Keycloak.
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Maya {family}")
    expect(page.get_by_text("Personne inscrite")).to_be_visible()
    assert to_keycloak == []
    assert_accessible(page)

    # The person's session at Keycloak ends (signed out elsewhere): the renewal is refused,
    # so the portal asks to sign in, then comes back to the page asked for.
    page.goto(f"{keycloak_url}/realms/gsi/protocol/openid-connect/logout")
    page.locator("#kc-logout").click()
    page.wait_for_timeout((TOKEN_SECONDS + 2) * 1000)
    page.goto(f"{portal}/personnes?q={family}")
    expect(page.locator("#password")).to_be_visible()
    keycloak_sign_in(page)
    expect(page).to_have_url(f"{portal}/personnes?q={family}")
    expect(page.get_by_role("link", name=f"{family}, Maya")).to_be_visible()
    assert_accessible(page)
