"""HTTP resource: the e-mail delivery log (program administrators)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from gsi_kernel.fields import Line, label
from gsi_kernel.http.context import context_for
from gsi_kernel.http.pagination import Page, Pagination
from gsi_kernel.http.security import Admin, authenticated_router
from gsi_kernel.http.threads import run_short
from notifications.deliveries.app import DeliveryFilters
from notifications.deps import DeliveryLogDep as LogDep
from notifications.notices.values import NoticeKind

router = authenticated_router(prefix="/deliveries", tags=["envois de courriels / e-mail deliveries"])

DeliveryId = Annotated[Line, Path(min_length=36, max_length=36, description="Envoi / Delivery")]
_EXAMPLE: dict[str, JsonValue] = {
    "delivery_id": "3b0f5c0e-7d43-5f7e-9a1e-2c4b6d8f0a12",
    "notice_id": "0b7f3c1e-3f5a-4a43-9a57-0e6d8a1c2b11",
    "dedupe_key": "org-sherbrooke:2026-2027-Q1:report_rejected:v1",
    "kind": "report_rejected",
    "organization_id": "org-sherbrooke",
    "audience": "organization",
    "quarter": "2026-2027-Q1",
    "address": "sophie@org-sherbrooke.example",
    "recipient_name": "Sophie Tremblay",
    "language": "fr",
    "status": "retrying",
    "attempts": 2,
    "next_attempt_at": "2026-08-21T15:02:00Z",
    "last_error": "smtp.unavailable",
    "error_detail": "ConnectionRefusedError: [Errno 111] Connection refused",
    "dead_reason": None,
    "sent_at": None,
    "message_id": "<5f1d2a7c-8e3b-5a41-9c6d-0b2e4f6a8c10@gsi.example.qc.ca>",
    "created_at": "2026-08-21T15:00:00Z",
    "updated_at": "2026-08-21T15:01:00Z",
}


class DeliveryView(BaseModel):
    """One e-mail of a notice: to whom, its status, its attempts and its last error."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    delivery_id: str
    notice_id: str
    dedupe_key: str
    kind: str
    organization_id: str
    audience: str
    quarter: str | None
    address: str | None
    recipient_name: str | None
    language: str
    status: str = Field(description="pending | sent | retrying | dead")
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None = Field(description="Code de la dernière erreur / Last error's code")
    error_detail: str | None
    dead_reason: str | None = Field(description="Pourquoi en lettre morte / Why dead-lettered")
    sent_at: datetime | None
    message_id: str | None
    created_at: datetime
    updated_at: datetime


@router.get("", response_model=Page[DeliveryView])
async def list_deliveries(
    _principal: Admin,
    log: LogDep,
    page: Pagination,
    status: Literal["pending", "sent", "retrying", "dead"] | None = None,
    kind: Annotated[NoticeKind | None, Query()] = None,
    organization_id: Annotated[Line | None, Query(max_length=100)] = None,
    address: Annotated[
        Line | None, Query(max_length=320, json_schema_extra=label("Adresse courriel", "E-mail address"))
    ] = None,
) -> Page[DeliveryView]:
    """Journal des envois de courriels, du plus récent au plus ancien, filtré / The e-mail delivery
    log, newest first, filtered."""
    filters = DeliveryFilters(status, kind, organization_id, address)
    rows, total = await run_short(lambda: log.list(filters, offset=page.offset, limit=page.limit))
    return Page(
        items=[DeliveryView.model_validate(r) for r in rows],
        total=total,
        offset=page.offset,
        limit=page.limit,
    )


@router.get("/{delivery_id}", response_model=DeliveryView)
async def get_delivery(delivery_id: DeliveryId, _principal: Admin, log: LogDep) -> DeliveryView:
    """Un envoi / One delivery."""
    return await run_short(lambda: DeliveryView.model_validate(log.get(delivery_id)))


@router.post("/{delivery_id}/retry", response_model=DeliveryView)
async def retry_delivery(delivery_id: DeliveryId, principal: Admin, log: LogDep) -> DeliveryView:
    """Renvoyer un courriel en lettre morte (nouvelle série de tentatives, même Message-ID) /
    Send a dead-lettered e-mail again (a new round of attempts, the same Message-ID)."""
    row = await run_short(lambda: log.get(delivery_id))
    return await run_short(
        lambda: DeliveryView.model_validate(
            log.retry(delivery_id, context_for(principal, row["organization_id"]))
        )
    )
