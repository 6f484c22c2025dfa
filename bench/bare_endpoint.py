"""A bare FastAPI app: ``POST /interventions`` with the service's own body model in and answer
model out, and one INSERT of the declaration as an event row (autocommit: one round trip, a
COMMIT that waits for its WAL flush), nothing else — no authentication, no reads, no checks,
no outbox. The peer the interventions service is measured against (:mod:`bench.peers.endpoint`),
served the same way: gunicorn with the project's uvicorn worker and configuration
(:class:`gsi_kernel.serving.Serving`), as many processes.

The route is ``async`` and does its short database work on the event loop, as the service's
``run_short`` does; each serving process holds one connection, opened on its first request.
Settings: ``GSI_DATABASE_URL`` and ``GSI_DB_SCHEMA`` (a schema holding the kernel's tables).
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
from fastapi import FastAPI, status

from bench.peers.baselines import INSERT, event_row
from bench.peers.workload import driver_dsn
from interventions.declarations.schemas import DeclareBody, DeclaredView

app = FastAPI(title="bare endpoint", openapi_url=None, docs_url=None, redoc_url=None)
_connections: list[psycopg.Connection[Any]] = []


def connection() -> psycopg.Connection[Any]:
    """This process's connection (made after gunicorn forked it: none is shared)."""
    if not _connections:
        _connections.append(
            psycopg.connect(
                driver_dsn(os.environ["GSI_DATABASE_URL"]),
                options=f"-csearch_path={os.environ['GSI_DB_SCHEMA']}",
                autocommit=True,
            )
        )
    return _connections[0]


@app.get("/ready")
async def ready() -> dict[str, str]:
    return {"status": "ready"}


@app.post("/interventions", status_code=status.HTTP_201_CREATED, response_model=DeclaredView)
async def declare(body: DeclareBody) -> DeclaredView:
    intervention_id = str(uuid.uuid4())  # a new stream, as the service's declaration starts one
    row = event_row(f"intervention-{intervention_id}", body.model_dump_json(), datetime.now(UTC))
    connection().execute(INSERT, row)
    return DeclaredView(intervention_id=intervention_id, flags=[])
