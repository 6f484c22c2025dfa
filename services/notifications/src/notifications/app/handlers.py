"""Notifications' queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select

from gsi_kernel.auth import ORG_ROLES, Principal, Role
from gsi_kernel.runtime import Kernel
from gsi_kernel.store.queries import fetch_page
from notifications.domain.notice import Audience
from notifications.projections.inbox import inbox


class Inbox:
    def __init__(self, kernel: Kernel) -> None:
        self._kernel = kernel

    def list(self, principal: Principal, *, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """The notices meant for the principal: its organization's, or its assigned organizations'
        ministry notices (a reviewer), or all (an admin)."""
        query = select(inbox)
        if Role.ADMIN not in principal.roles:
            visible = []
            if principal.has_any(ORG_ROLES) and principal.organization:
                visible.append(
                    and_(
                        inbox.c.audience == Audience.ORGANIZATION,
                        inbox.c.organization_id == principal.organization,
                    )
                )
            if Role.MINISTRY_REVIEWER in principal.roles:
                visible.append(
                    and_(
                        inbox.c.audience == Audience.MINISTRY,
                        inbox.c.organization_id.in_(principal.assigned_organizations),
                    )
                )
            query = query.where(or_(*visible)) if visible else query.where(inbox.c.notice_id.is_(None))
        return fetch_page(
            self._kernel.db, query, inbox.c.created_at.desc(), inbox.c.notice_id, offset=offset, limit=limit
        )
