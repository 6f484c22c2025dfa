"""HTTP resource: the in-app inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends
from pydantic import BaseModel

from gsi_kernel.http.app import from_app_state
from gsi_kernel.http.pagination import Page, Pagination
from gsi_kernel.http.security import CurrentPrincipal, authenticated_router
from notifications.app.handlers import Inbox

router = authenticated_router(prefix="/inbox", tags=["boîte de réception / inbox"])


InboxDep = Annotated[Inbox, Depends(from_app_state("inbox", Inbox))]


class NoticeView(BaseModel):
    notice_id: str
    organization_id: str
    audience: str
    kind: str
    quarter: str | None
    title_fr: str
    title_en: str
    created_at: datetime


@router.get("", response_model=Page[NoticeView])
def list_notices(principal: CurrentPrincipal, handlers: InboxDep, page: Pagination) -> Page[NoticeView]:
    """Avis destinés à l'utilisateur / Notices for the user."""
    rows, total = handlers.list(principal, offset=page.offset, limit=page.limit)
    return Page(
        items=[NoticeView.model_validate(r) for r in rows], total=total, offset=page.offset, limit=page.limit
    )
