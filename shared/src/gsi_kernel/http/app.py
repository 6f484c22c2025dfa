"""The FastAPI application every service builds: error handlers, tracing, the edge's limits
and security headers (CORS only where configured), health and readiness, the audit view, the
development token endpoint where enabled, and the service's routers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from opentelemetry.trace import Tracer
from pydantic import BaseModel, ConfigDict, Field

from gsi_kernel.auth import DevTokenIssuer, Role
from gsi_kernel.clock import Clock, SystemClock
from gsi_kernel.failures import describe
from gsi_kernel.fields import Line
from gsi_kernel.http.audit import AuditDetails, audit_router, only_fields, whole_payload
from gsi_kernel.http.docs import install_docs
from gsi_kernel.http.edge import MediaTypes, route_media
from gsi_kernel.http.edge_layer import EdgeLayer
from gsi_kernel.http.errors import ErrorBody, install_error_handlers
from gsi_kernel.http.headers import SecurityHeaders
from gsi_kernel.http.idempotency import document_idempotency
from gsi_kernel.http.limits import BodyLimits, RateLimiter, Slots, route_limits
from gsi_kernel.http.parked import parked_router
from gsi_kernel.metrics.http import HttpMetrics, metrics_router
from gsi_kernel.runtime import Kernel, ServiceContainer
from gsi_kernel.settings import ServiceSettings

PUBLIC_PATHS = frozenset({"/health", "/ready", "/metrics", "/dev/token", "/.well-known/jwks.json"})

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text_}
    for status, text_ in {
        400: "Requête mal formée / Malformed request",
        401: "Non authentifié / Not authenticated",
        403: "Interdit / Forbidden",
        404: "Introuvable / Not found",
        409: "Conflit / Conflict",
        413: "Requête trop volumineuse / Request too large",
        415: "Type de média non pris en charge / Unsupported media type",
        422: "Données invalides / Invalid data",
        423: "Verrouillé / Locked",
        429: "Trop de requêtes / Too many requests",
        503: "Service momentanément indisponible / Service temporarily unavailable",
    }.items()
}


T = TypeVar("T")


C = TypeVar("C", bound=ServiceContainer)


def container_of(kind: type[C]) -> Callable[[Request], Awaitable[C]]:
    """The dependency a service's ``api/deps.py`` builds its own from: the container its
    composition root built (``bootstrap.build``), checked once to be of the service's type."""

    async def get(request: Request) -> C:
        value = request.app.state.container
        assert isinstance(value, kind)
        return value

    return get


def from_container(kind: type[C], pick: Callable[[C], T]) -> Callable[[Request], Awaitable[T]]:
    """A route's dependency on one part of the service's container (async: a lookup needs no
    thread)."""
    container = container_of(kind)

    async def get(request: Request) -> T:
        return pick(await container(request))

    return get


def parts_of(kind: type[C]) -> Callable[[Callable[[C], Any]], Any]:
    """What a service's ``api/deps.py`` declares its dependencies with: ``_of =
    parts_of(Container)``, then ``RegisteringDep = Annotated[Registering, _of(lambda c:
    c.registering)]`` (the lambda is checked against the container's fields)."""

    def part(pick: Callable[[C], Any]) -> Any:
        return Depends(from_container(kind, pick))

    return part


def create_app(
    container: ServiceContainer,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    version: str = "0.1.0",
    body_limits: Mapping[str, int] | None = None,
    audit_details: AuditDetails | None = None,
) -> FastAPI:
    """The service's app over its ``container`` (``bootstrap.build``: the kernel and the use
    cases), which its ``api/deps.py`` reads through :func:`from_container`.

    ``body_limits``: a route's own body limit in bytes, by path template (``{"/imports": n}``),
    instead of ``max_body_bytes`` (or ``upload_max_bytes`` for a route that receives a file).
    ``audit_details``: what of each event's payload ``GET /audit`` shows; by default all of it,
    and only the ``reason`` for a service that holds personal data."""

    kernel = container.kernel

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        kernel.start()
        try:
            yield
        finally:
            kernel.stop()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        # The kernel traces every request itself (its edge layer, with the service's own
        # provider). FastAPI's native telemetry would otherwise ask OpenTelemetry's global
        # providers on every request whether they are configured, a cost a profile showed.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        # FastAPI's pages load Swagger UI and ReDoc from a CDN: install_docs serves our own.
        docs_url=None,
        redoc_url=None,
    )
    install_docs(app)
    app.state.kernel = kernel
    app.state.verifier = kernel.verifier
    app.state.reviewers = kernel.reviewers
    app.state.container = container
    install_error_handlers(app)
    app.include_router(_health_router(kernel))
    app.include_router(metrics_router(kernel.metrics))  # unauthenticated, out of the OpenAPI
    if kernel.dev_issuer is not None:
        # Token lifetimes are wall-clock time (the verifier knows no other), whatever the
        # business clock of the service says.
        app.include_router(_dev_router(kernel.dev_issuer, SystemClock()))
    settings = kernel.settings
    default_details = only_fields(["reason"]) if settings.holds_personal_data else whole_payload
    app.include_router(audit_router(kernel.db, audit_details or default_details))
    app.include_router(parked_router(kernel.db, kernel.projections))
    for router in routers:
        app.include_router(router)
    document_idempotency(app, public_paths=PUBLIC_PATHS)
    # Every answer counts, refusals of the edge too (docs/metrics.md); every check of the edge
    # and every route knows where a short command runs (ADR 29).
    add_edge_middleware(
        app,
        settings,
        body_limits or {},
        tracer=kernel.telemetry.tracer,
        metrics=HttpMetrics(settings.service),
        serialised=kernel.db.serialises_writers,
    )
    return app


def add_edge_middleware(
    app: FastAPI,
    settings: ServiceSettings,
    body_limits: Mapping[str, int],
    *,
    tracer: Tracer,
    metrics: HttpMetrics | None = None,
    serialised: bool | None = None,
) -> None:
    """The edge as one ASGI layer, outermost (:mod:`.edge_layer`): metrics (where given),
    tracing (every answer logged and traced, refusals too), CORS (only where configured: a
    browser can read refusals), security headers, how many run at once and how long one waits
    to start, rate limits, body size, the body's media type and the URL's text (:mod:`.edge`),
    and last the ``Idempotency-Key`` (a request refused above reserves no key)."""
    routes = route_limits(app.routes, upload_max_bytes=settings.upload_max_bytes, overrides=body_limits)
    production = settings.environment == "production"
    app.add_middleware(
        EdgeLayer,
        tracer=tracer,
        headers=SecurityHeaders(hsts_max_age=settings.hsts_max_age if production else None),
        slots=Slots(
            max_concurrent=settings.http_max_concurrency, queue_timeout_s=settings.http_queue_timeout_s
        ),
        bodies=BodyLimits(max_bytes=settings.max_body_bytes, routes=routes),
        media=MediaTypes(route_media(app.routes), public_paths=PUBLIC_PATHS),
        public_paths=PUBLIC_PATHS,
        rate=RateLimiter(
            reads=settings.rate_limit_reads,
            writes=settings.rate_limit_writes,
            storage=settings.rate_limit_storage,
        )
        if settings.rate_limits_on
        else None,
        cors=_CORS | {"allow_origins": settings.cors_origin_list} if settings.cors_origin_list else None,
        metrics=metrics,
        serialised=serialised,
    )


_CORS: dict[str, Any] = {
    "allow_methods": ["GET", "POST", "PUT", "PATCH", "DELETE"],
    "allow_headers": ["Authorization", "Content-Type", "traceparent", "Idempotency-Key"],
    "expose_headers": ["Retry-After", "X-Trace-Id", "Idempotent-Replayed"],
    "max_age": 600,
}


class Health(BaseModel):
    status: str
    service: str
    checks: dict[str, str] = {}
    # Shown only when non-zero (GSI_CLOCK_OFFSET_DAYS), so that nobody forgets a rehearsal
    # environment's business clock runs ahead of the wall clock.
    clock_offset_days: int | None = None
    # /ready: the events each projection parked and nobody resolved yet (ADR 6). They do not
    # make the service unready — it works — but someone should look (GET /admin/parked-events).
    parked_events: dict[str, int] | None = None
    # /ready: each consumer's lag at its last reading, partitions, seconds since its last poll,
    # and client restarts after its group stalled (issue 19).
    consumers: dict[str, dict[str, int | float | None]] | None = None


# /ready's checks (a query, the workers' statuses), apart from the requests' thread pool; its
# threads start on the first probe.
_PROBES = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ready-probe")


def _health_router(kernel: Kernel) -> APIRouter:
    router = APIRouter(tags=["santé / health"])

    offset = kernel.settings.clock_offset_days or None

    @router.get("/health", response_model=Health, response_model_exclude_none=True)
    def health() -> Health:
        """Le processus répond / The process is alive."""
        return Health(status="ok", service=kernel.settings.service, clock_offset_days=offset)

    @router.get(
        "/ready", response_model=Health, response_model_exclude_none=True, responses={503: {"model": Health}}
    )
    async def ready() -> Any:
        """La base et les travailleurs sont prêts ; événements mis de côté par projection /
        Database and workers are ready; events parked by projection."""
        # Its own thread, not the serving thread pool: behind a burst of commands queued for
        # that pool, the balancer's check waited past its timeout and took a lone, busy but
        # healthy replica out (503 "no server is available" to every client).
        return await asyncio.get_running_loop().run_in_executor(_PROBES, readiness)

    def readiness() -> Any:
        checks: dict[str, str] = {}
        parked: dict[str, int] | None = None
        try:
            parked = kernel.projections.parked_counts()  # a query: the database answers
            checks["database"] = "ok"
        except Exception as exc:  # readiness reports, it does not raise (nor echo data)
            checks["database"] = f"error: {describe(exc)}"
        workers = kernel.workers_report()
        checks.update(workers.verdicts)
        ok = all(v == "ok" for v in checks.values())
        status = "ok" if ok else "unavailable"
        body = Health(
            status=status,
            service=kernel.settings.service,
            checks=checks,
            clock_offset_days=offset,
            parked_events=parked,
            consumers=workers.consumers or None,
        )
        return body if ok else JSONResponse(body.model_dump(exclude_none=True), status_code=503)

    return router


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: Line = Field(min_length=1, max_length=200, examples=["karine@org-sherbrooke"])
    roles: list[Role] = Field(min_length=1, examples=[["org_staff"]])
    organization: Line | None = Field(default=None, examples=["org-sherbrooke"])
    assigned_organizations: list[Line] = Field(
        default=[],
        description="Écrit dans le jeton, ignoré par les services (ADR 23) / Written, ignored (ADR 23)",
    )
    language: Literal["fr", "en"] = "fr"
    ttl_minutes: int = Field(default=480, ge=1, le=24 * 60)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"


def _dev_router(issuer: DevTokenIssuer, clock: Clock) -> APIRouter:
    router = APIRouter(tags=["développement / development"])

    @router.post("/dev/token", response_model=TokenResponse)
    def dev_token(request: TokenRequest) -> TokenResponse:
        """Jeton de développement (désactivé en production) / Development token (off in production)."""
        token = issuer.issue(
            user_id=request.user_id,
            roles=request.roles,
            organization=request.organization,
            assigned_organizations=request.assigned_organizations,
            language=request.language,
            now=clock.now(),
            ttl=timedelta(minutes=request.ttl_minutes),
        )
        return TokenResponse(access_token=token)

    @router.get("/.well-known/jwks.json")
    def jwks() -> dict[str, Any]:
        """Clé publique du jeton de développement / Development token public key."""
        return issuer.jwks()

    return router
