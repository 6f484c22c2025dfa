"""Signing in and out: OpenID Connect (authorization code + PKCE, Authlib's Starlette client),
or on a developer's machine the services' development token issuer."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from authlib.integrations.base_client import OAuthError
from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from portal.auth import User, sign_in, sign_out, user_from_claims
from portal.backend import Backends
from portal.routes.deps import BackendsDep, PagesDep, SettingsDep
from portal.sessions import has_kept_form
from portal.settings import PortalSettings
from portal.web import request_language

_NEXT_KEY = "after_sign_in"
_PROVIDER = "provider"


def safe_next(target: str | None) -> str:
    """Only a path of this site: never another site (an open redirect) nor ``//host``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def oidc_client(settings: PortalSettings) -> StarletteOAuth2App:
    oauth = OAuth()
    secret = settings.oidc_client_secret
    oauth.register(
        _PROVIDER,
        client_id=settings.oidc_client_id,
        client_secret=secret.get_secret_value() if secret else None,
        server_metadata_url=settings.oidc_discovery_url,
        client_kwargs={
            "scope": settings.oidc_scope,
            "code_challenge_method": "S256",
            "timeout": settings.backend_timeout_seconds,
        },
    )
    client = oauth.create_client(_PROVIDER)
    assert isinstance(client, StarletteOAuth2App)
    return client


async def _provider(request: Request) -> StarletteOAuth2App:
    client = request.app.state.oidc
    assert isinstance(client, StarletteOAuth2App)
    return client


ProviderDep = Annotated[StarletteOAuth2App, Depends(_provider)]


def oidc_router() -> APIRouter:
    router = APIRouter()

    @router.get("/signin")
    async def start(
        request: Request, settings: SettingsDep, provider: ProviderDep, next: str = "/"
    ) -> Response:
        request.session[_NEXT_KEY] = safe_next(next)
        redirect_uri = f"{settings.base_url}/auth/callback"
        language = request_language(request)
        response: Response = await provider.authorize_redirect(request, redirect_uri, ui_locales=language)
        return response

    @router.get("/auth/callback")
    async def callback(
        request: Request, settings: SettingsDep, provider: ProviderDep, pages: PagesDep
    ) -> Response:
        try:
            token = await provider.authorize_access_token(request)
        except OAuthError:
            return pages.render(request, "signin_failed.html", status=400)
        target = safe_next(request.session.get(_NEXT_KEY))
        user = user_from_claims(token["userinfo"], settings)
        sign_in(request.session, user, token)
        return RedirectResponse(target, status_code=303)

    @router.post("/signout")
    async def signout(request: Request, settings: SettingsDep, provider: ProviderDep) -> Response:
        id_token = sign_out(request.session)
        metadata: dict[str, Any] = await provider.load_server_metadata()
        end_session = metadata.get("end_session_endpoint")
        if not end_session:
            return RedirectResponse("/signed-out", status_code=303)
        query = {
            "client_id": settings.oidc_client_id,
            "post_logout_redirect_uri": f"{settings.base_url}/signed-out",
        }
        if id_token:
            query["id_token_hint"] = id_token
        return RedirectResponse(f"{end_session}?{urlencode(query)}", status_code=303)

    return router


def development_router() -> APIRouter:
    """Only mounted when the settings say development sign-in (refused in production)."""
    router = APIRouter()

    @router.get("/signin")
    async def choose(request: Request, settings: SettingsDep, pages: PagesDep, next: str = "/") -> Response:
        context = {
            "dev_users": settings.dev_users,
            "next": safe_next(next),
            "form_kept": has_kept_form(request.session),
        }
        return pages.render(request, "signin_dev.html", context)

    @router.post("/signin/dev")
    async def dev_sign_in(
        request: Request,
        settings: SettingsDep,
        backends: BackendsDep,
        user_id: Annotated[str, Form(max_length=200)],
        next: Annotated[str, Form(max_length=2000)] = "/",
    ) -> Response:
        chosen = dev_user(settings, user_id)
        if chosen is None:
            return RedirectResponse("/signin", status_code=303)
        token = await _dev_token(backends, chosen, request_language(request))
        sign_in(request.session, chosen, {"access_token": token})
        return RedirectResponse(safe_next(next), status_code=303)

    @router.post("/signout")
    async def signout(request: Request) -> Response:
        sign_out(request.session)
        return RedirectResponse("/signed-out", status_code=303)

    return router


def dev_user(settings: PortalSettings, user_id: str) -> User | None:
    """The demo user of that id, as a :class:`User` (only the listed users may be chosen)."""
    for dev in settings.dev_users:
        if dev.user_id == user_id:
            return User(
                user_id=dev.user_id,
                name=dev.user_id,
                roles=tuple(dev.roles),
                organization=dev.organization,
                assigned_organizations=tuple(dev.assigned_organizations),
            )
    return None


async def _dev_token(backends: Backends, user: User, language: str) -> str:
    body = {
        "user_id": user.user_id,
        "roles": list(user.roles),
        "organization": user.organization,
        "assigned_organizations": list(user.assigned_organizations),
        "language": language,
        "ttl_minutes": 8 * 60,
    }
    answer = await backends.post("registration", "/dev/token", token=None, json=body)
    return str(answer["access_token"])
