"""HTTP resource: the in-app inbox of the user."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, Field

from gsi_kernel.fields import Line, label
from gsi_kernel.http.pagination import Page, Pagination
from gsi_kernel.http.security import Reader, authenticated_router
from gsi_kernel.http.threads import run_short
from notifications.deps import InboxDep

router = authenticated_router(prefix="/inbox", tags=["boîte de réception / inbox"])


class NoticeView(BaseModel):
    notice_id: str
    organization_id: str
    audience: str
    kind: str
    quarter: str | None
    title_fr: str
    title_en: str
    content_fr: str = Field(description="Ce que dit l'avis (motifs, vérifications en échec, dates…)")
    content_en: str = Field(description="What the notice says (reasons, failed checks, dates…)")
    link: str | None = Field(
        description="Chemin, dans le portail, de ce dont l'avis parle / Portal path of what the notice "
        "is about",
        examples=["/rapports/org-sherbrooke/2026-2027-Q2"],
    )
    created_at: datetime
    read_at: datetime | None = None


class UnreadCount(BaseModel):
    unread: int


@router.get("", response_model=Page[NoticeView])
async def list_notices(
    principal: Reader,
    handlers: InboxDep,
    page: Pagination,
    unread: Annotated[
        bool,
        Query(description="Non lus seulement / Unread only", json_schema_extra=label("Non lus", "Unread")),
    ] = False,
) -> Page[NoticeView]:
    """Avis destinés à l'utilisateur, les plus récents d'abord / The user's notices, newest first."""
    rows, total = await run_short(
        lambda: handlers.list(principal, offset=page.offset, limit=page.limit, unread_only=unread)
    )
    return Page(
        items=[NoticeView.model_validate(r) for r in rows], total=total, offset=page.offset, limit=page.limit
    )


@router.get("/unread-count", response_model=UnreadCount)
async def unread_count(principal: Reader, handlers: InboxDep) -> UnreadCount:
    """Nombre d'avis non lus / Number of unread notices."""
    return await run_short(lambda: UnreadCount(unread=handlers.unread_count(principal)))


@router.get("/{notice_id}", response_model=NoticeView)
async def get_notice(notice_id: Line, principal: Reader, handlers: InboxDep) -> NoticeView:
    """Un avis, avec son contenu et son lien / A notice, with its content and link."""
    return await run_short(lambda: NoticeView.model_validate(handlers.one(principal, notice_id)))


@router.post("/{notice_id}/read", response_model=NoticeView)
async def mark_read(notice_id: Line, principal: Reader, handlers: InboxDep) -> NoticeView:
    """Marquer un avis comme lu (idempotent) / Mark a notice read (idempotent)."""
    return await run_short(lambda: NoticeView.model_validate(handlers.mark_read(principal, notice_id)))
