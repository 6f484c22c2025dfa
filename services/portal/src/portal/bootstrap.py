"""Composition root: the portal's app, built from its settings. Nothing connects at import
time; the pooled HTTP client is closed with the app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from gsi_kernel.clock import Clock, SystemClock, shifted
from portal.backend import Backends
from portal.errors import install_error_pages
from portal.metrics import install_metrics
from portal.routes import (
    admin_agreements,
    admin_audit,
    admin_calendar,
    admin_duplicates,
    admin_incidents,
    admin_notifications,
    admin_organizations,
    admin_privacy,
    admin_rules,
    general,
    home,
    imports,
    inbox,
    indicators,
    interventions,
    lock_exceptions,
    ministry_exceptions,
    ministry_organizations,
    persons,
    plans,
    reports,
    review_control,
    review_queue,
)
from portal.routes.signin import development_router, oidc_client, oidc_router
from portal.security import SecurityHeadersMiddleware, check_csrf, content_security_policy
from portal.sessions import ServerSessionMiddleware, SessionStore
from portal.settings import PortalSettings
from portal.timing import ServerTimingMiddleware
from portal.web import Pages

STATIC = Path(__file__).parent / "static"


def build_app(
    settings: PortalSettings,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """``transport``: where the backend calls go (tests may route them in-process)."""
    backends = Backends(settings, transport=transport)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await backends.aclose()

    development = settings.auth_mode == "development"
    app = FastAPI(
        title="GSI — portail / portal",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(check_csrf)],
    )
    pages = Pages(development_sign_in=development)
    app.state.settings = settings
    app.state.backends = backends
    app.state.pages = pages
    app.state.clock = shifted(clock or SystemClock(), settings.clock_offset_days)
    form_targets: tuple[str, ...] = ()
    if development:
        app.include_router(development_router())
    else:
        app.state.oidc = oidc_client(settings)
        app.include_router(oidc_router())
        form_targets = (_origin(settings.oidc_discovery_url or ""),)
    for pages_of in (
        general.router,
        home.router,
        persons.router,
        interventions.routes,
        plans.routes,
        imports.router,
        reports.router,
        inbox.router,
        lock_exceptions.router,
        review_queue.router,  # the ministry's and the administrators' (in this order: the
        review_control.router,  # first route matching a path answers it)
        admin_privacy.router,
        admin_incidents.router,
        admin_duplicates.router,
        admin_notifications.router,
        admin_audit.router,
        admin_organizations.router,
        admin_agreements.router,
        admin_calendar.router,
        admin_rules.router,
        ministry_exceptions.router,
        ministry_organizations.router,
        indicators.router,
    ):
        app.include_router(pages_of)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    install_error_pages(app, pages)
    store = SessionStore(
        idle_seconds=settings.session_idle_minutes * 60, max_count=settings.session_max_count
    )
    app.state.sessions = store
    # Starlette runs the middleware added last first: timing wraps headers wrap sessions wrap
    # the routes.
    app.add_middleware(
        ServerSessionMiddleware, store=store, cookie=settings.session_cookie, secure=settings.secure_cookies
    )
    app.add_middleware(
        SecurityHeadersMiddleware,
        csp=content_security_policy(form_targets),
        hsts=settings.environment == "production",
    )
    app.add_middleware(ServerTimingMiddleware)  # outermost: its time covers the other two
    install_metrics(app)  # /metrics, and the HTTP metrics' middleware around all the rest
    return app


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
