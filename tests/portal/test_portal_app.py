"""The portal without a browser: translations complete, assets pinned and served by the portal,
sessions and their cookie, CSRF on every form, claims to user by settings, production refusals."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from portal.auth import user_from_claims
from portal.bootstrap import STATIC, build_app
from portal.i18n import LANGUAGES, LOCALE_DIR, extract_messages, read_catalog
from portal.routes.signin import safe_next
from portal.sessions import SessionStore
from portal.settings import DevUser, PortalSettings
from portal.web import TEMPLATES, Pages

pytestmark = pytest.mark.portal

HTMX = STATIC / "vendor" / "htmx-2.0.11.min.js"
HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"  # npm htmx.org@2.0.11


def dev_settings(**overrides: object) -> PortalSettings:
    users = [DevUser(user_id="karine@org-sherbrooke", roles=["org_staff"], organization="org-sherbrooke")]
    return PortalSettings(auth_mode="development", dev_users=users, **overrides)  # type: ignore[arg-type]


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(build_app(dev_settings()), follow_redirects=False) as client:
        yield client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no form with a CSRF token"
    return match[1]


# --- languages ------------------------------------------------------------------------------


def test_every_message_is_translated_in_both_languages_and_none_is_unused() -> None:
    extracted = {m.id for m in extract_messages() if m.id}
    assert len(extracted) > 40
    for language in LANGUAGES:
        catalog = read_catalog(language)
        known = {m.id for m in catalog if m.id}
        assert extracted - known == set(), f"{language}: untranslated (missing from the .po)"
        assert known - extracted == set(), f"{language}: unused messages in the .po"
        empty = [
            m.id
            for m in catalog
            if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
        ]
        assert empty == [], f"{language}: messages without a translation (or fuzzy)"
    with (LOCALE_DIR / "messages.pot").open("rb") as pot:
        from babel.messages.pofile import read_po

        assert {m.id for m in read_po(pot) if m.id} == extracted, (
            "messages.pot is stale: run `python -m portal catalogs`"
        )


def test_every_translated_text_is_written_where_the_extractor_finds_it() -> None:
    """``gettext_for(language)("…")`` translates at run time but the extractor does not see it,
    so the text never reaches the catalogues and shows in English on a French page."""
    hidden = [
        f"{path.name}:{number}"
        for path in sorted((LOCALE_DIR.parent).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"gettext_for\([^()]*\)\(", line)
    ]
    assert hidden == [], f"bind `_ = gettext_for(language)` and call `_(…)`: {hidden}"


def test_french_is_the_default_and_english_is_remembered(client: TestClient) -> None:
    page = client.get("/signin")
    assert '<html lang="fr-CA">' in page.text
    assert "Se connecter" in page.text
    switched = client.post(
        "/language", data={"language": "en", "next": "/signin", "csrf_token": csrf_of(page.text)}
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == "/signin"
    assert "gsi_lang=en" in switched.headers["set-cookie"]
    again = client.get("/signin")
    assert '<html lang="en-CA">' in again.text
    assert "<h1>Sign in</h1>" in again.text


# --- assets: pinned, served here, nothing from elsewhere ------------------------------------


def test_htmx_is_the_pinned_file_with_its_licence_and_is_served_by_the_portal(client: TestClient) -> None:
    assert hashlib.sha256(HTMX.read_bytes()).hexdigest() == HTMX_SHA256
    assert "Zero-Clause BSD" in (STATIC / "vendor" / "htmx-LICENSE.txt").read_text()
    served = client.get(f"/static/vendor/{HTMX.name}")
    assert served.status_code == 200
    assert hashlib.sha256(served.content).hexdigest() == HTMX_SHA256
    assert f'src="/static/vendor/{HTMX.name}"' in client.get("/signin").text


def test_no_template_loads_anything_from_another_site() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r'(src|href)="(https?:)?//', text), template
        assert "<script>" not in text, f"{template}: inline script"
        assert "style=" not in text, f"{template}: inline style"


def test_pages_carry_a_strict_content_security_policy(client: TestClient) -> None:
    page = client.get("/signin")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self';" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"


# --- sessions, cookies, CSRF ----------------------------------------------------------------


def test_a_form_posted_without_its_csrf_token_is_refused(client: TestClient) -> None:
    page = client.get("/signin")
    token = csrf_of(page.text)
    for path, form in [
        ("/language", {"language": "en"}),
        ("/signin/dev", {"user_id": "karine@org-sherbrooke"}),
    ]:
        for sent in ({}, {"csrf_token": "forged"}):
            refused = client.post(path, data={**form, **sent})
            assert refused.status_code == 403, (path, sent)
            assert "Ce formulaire a expiré" in refused.text
    # The same form with the token goes through.
    assert client.post("/language", data={"language": "en", "csrf_token": token}).status_code == 303


def test_the_session_cookie_holds_only_an_id_and_is_httponly_and_samesite(client: TestClient) -> None:
    cookie = client.get("/signin").headers["set-cookie"]
    name, _, rest = cookie.partition("=")
    value = rest.partition(";")[0]
    assert name == "gsi_session"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value)  # 32 random bytes, nothing else
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development over http on 127.0.0.1 only


def test_cookies_are_secure_unless_development_over_http_on_the_loopback() -> None:
    assert not dev_settings().secure_cookies
    assert dev_settings(public_url="https://gsi.example.qc.ca").secure_cookies
    assert dev_settings(public_url="http://portal.internal:8000").secure_cookies
    with TestClient(build_app(dev_settings(public_url="https://gsi.example.qc.ca"))) as client:
        assert "; Secure" in client.get("/signin").headers["set-cookie"]


def test_a_session_idle_too_long_is_gone() -> None:
    now = [1000.0]
    store = SessionStore(idle_seconds=60, max_count=10, clock=lambda: now[0])
    store.save("a", {"user": "karine"})
    now[0] += 59
    assert store.load("a") == {"user": "karine"}  # a visit restarts the idle time
    now[0] += 59
    assert store.load("a") == {"user": "karine"}
    now[0] += 61
    assert store.load("a") is None


def test_only_paths_of_this_site_are_followed_after_sign_in() -> None:
    assert safe_next("/reports?q=1") == "/reports?q=1"
    for target in ("https://evil.example", "//evil.example", "/\\evil.example", "", None):
        assert safe_next(target) == "/"


# --- claims and settings --------------------------------------------------------------------


def test_claims_become_a_user_by_the_claim_names_of_the_settings() -> None:
    settings = dev_settings(
        claim_roles="groups", claim_organization="organization", claim_user_id="preferred_username"
    )
    user = user_from_claims(
        {
            "sub": "9f1c",
            "preferred_username": "sophie",
            "name": "Sophie Tremblay",
            "groups": ["org_manager"],
            "organization": "org-sherbrooke",
            "locale": "fr-CA",
        },
        settings,
    )
    assert user.user_id == "sophie"
    assert user.name == "Sophie Tremblay"
    assert user.roles == ("org_manager",)
    assert user.organization == "org-sherbrooke"
    assert user.is_manager
    assert user.works_for_an_organization
    assert user.language == "fr"


def test_production_refuses_development_sign_in_and_plain_http() -> None:
    with pytest.raises(ValidationError, match="development sign-in in production"):
        PortalSettings(environment="production", auth_mode="development", public_url="https://gsi.example")
    with pytest.raises(ValidationError, match="must be https"):
        PortalSettings(
            environment="production",
            auth_mode="oidc",
            oidc_discovery_url="https://idp/.well-known/openid-configuration",
        )
    with pytest.raises(ValidationError, match="OIDC sign-in needs"):
        PortalSettings(auth_mode="oidc")
    ok = PortalSettings(
        environment="production",
        auth_mode="oidc",
        oidc_discovery_url="https://idp.example/realms/gsi/.well-known/openid-configuration",
        public_url="https://gsi.example.qc.ca",
    )
    assert ok.secure_cookies


def test_development_sign_in_is_not_even_mounted_with_oidc() -> None:
    settings = PortalSettings(
        auth_mode="oidc", oidc_discovery_url="http://127.0.0.1:1/realms/gsi/.well-known/openid-configuration"
    )
    with TestClient(build_app(settings), follow_redirects=False) as client:
        page = client.get("/")
        assert page.status_code == 303
        assert page.headers["location"] == "/signin?next=/"
        token = csrf_of(client.get("/no-such-page").text)
        refused = client.post("/signin/dev", data={"user_id": "karine@org-sherbrooke", "csrf_token": token})
        assert refused.status_code == 404


def test_an_unknown_page_is_a_page_not_a_json_error(client: TestClient) -> None:
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "<h1>Page introuvable</h1>" in missing.text


def test_the_error_summary_links_to_each_field_and_the_message_sits_beside_it() -> None:
    environment = Pages(development_sign_in=True).environment("fr")
    html = environment.from_string(
        '{% import "components/macros.html" as ui %}'
        '{{ ui.error_summary([("family_name", "Entrez le nom de famille")]) }}'
        '{{ ui.field("family_name", "Nom de famille", error="Entrez le nom de famille", hint="Comme sur le passeport") }}'
        '{{ ui.field("given_name", "Prénom") }}'
    ).render()
    assert '<a href="#family_name">Entrez le nom de famille</a>' in html
    assert 'role="alert"' in html
    assert '<label class="field__label" for="family_name">Nom de famille</label>' in html
    assert (
        'id="family_name-error"><span class="visually-hidden">Erreur :</span> Entrez le nom de famille'
        in html
    )
    assert 'aria-describedby="family_name-hint family_name-error" aria-invalid="true"' in html
    given = html[html.index('id="given_name"') :]
    assert "aria-invalid" not in given
    assert "aria-describedby" not in given


def test_locale_files_are_committed_as_po_only() -> None:
    assert sorted(p.name for p in Path(LOCALE_DIR).rglob("*.mo")) == []
