"""The portal's ``/metrics`` (issue 22, docs/metrics.md): its HTTP requests by route template
(the kernel's middleware) and the process's figures. The portal keeps no business data: the
services' own ``/metrics`` tell the rest."""

from __future__ import annotations

from fastapi import FastAPI

from gsi_kernel.metrics.exposition import ServiceMetrics
from gsi_kernel.metrics.http import HttpMetricsMiddleware, metrics_router

SERVICE = "portal"


def install_metrics(app: FastAPI) -> None:
    """``GET /metrics`` (unauthenticated, no page) and the HTTP middleware, outermost: called
    once every other middleware is added."""
    app.include_router(metrics_router(ServiceMetrics(SERVICE)))
    app.add_middleware(HttpMetricsMiddleware, service=SERVICE)
