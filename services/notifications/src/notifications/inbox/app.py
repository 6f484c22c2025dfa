"""The in-app inbox: what each user sees — each notice with its content in both languages and
the link to what it is about — how many are unread, marking read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select

from gsi_kernel.auth import ORG_ROLES, Principal, Role
from gsi_kernel.envelope import CommandContext
from gsi_kernel.errors import NotFound
from gsi_kernel.store.database import Database
from gsi_kernel.store.queries import fetch_one, fetch_page
from gsi_kernel.writer import StreamWriter
from notifications.emails.links import notice_link
from notifications.emails.templates import Renderer, TemplateError
from notifications.inbox.projection import inbox, inbox_reads
from notifications.notices import domain as notice
from notifications.notices.values import Audience


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """The notices meant for the principal: its organization's; the ministry notices of its
    assigned organizations (a reviewer); all (an admin)."""
    if Role.ADMIN in principal.roles:
        return inbox.c.notice_id.is_not(None)
    visible = []
    if principal.has_any(ORG_ROLES) and principal.organization:
        visible.append(
            and_(inbox.c.audience == Audience.ORGANIZATION, inbox.c.organization_id == principal.organization)
        )
    if Role.MINISTRY_REVIEWER in principal.roles and principal.assigned_organizations:
        visible.append(
            and_(
                inbox.c.audience == Audience.MINISTRY,
                inbox.c.organization_id.in_(sorted(principal.assigned_organizations)),
            )
        )
    return or_(*visible) if visible else false()


def _read_by(principal: Principal) -> Any:
    return inbox.outerjoin(
        inbox_reads,
        and_(inbox_reads.c.dedupe_key == inbox.c.dedupe_key, inbox_reads.c.user_id == principal.user_id),
    )


class Inbox:
    def __init__(self, *, db: Database, writer: StreamWriter, renderer: Renderer) -> None:
        self._db = db
        self._writer = writer
        self._renderer = renderer

    def list(
        self, principal: Principal, *, offset: int, limit: int, unread_only: bool = False
    ) -> tuple[list[dict[str, Any]], int]:
        query = (
            select(inbox, inbox_reads.c.read_at).select_from(_read_by(principal)).where(visible_to(principal))
        )
        if unread_only:
            query = query.where(inbox_reads.c.read_at.is_(None))
        rows, total = fetch_page(
            self._db, query, inbox.c.created_at.desc(), inbox.c.notice_id, offset=offset, limit=limit
        )
        return [self._with_content(r) for r in rows], total

    def one(self, principal: Principal, notice_id: str) -> dict[str, Any]:
        row = self._one(principal, notice_id)
        if row is None:  # another's notice is answered the same as one that does not exist
            raise _not_found(notice_id)
        return self._with_content(row)

    def unread_count(self, principal: Principal) -> int:
        query = (
            select(func.count())
            .select_from(_read_by(principal))
            .where(visible_to(principal), inbox_reads.c.read_at.is_(None))
        )
        with self._db.transaction() as connection:
            return int(connection.execute(query).scalar_one())

    def mark_read(self, principal: Principal, notice_id: str) -> dict[str, Any]:
        row = self._one(principal, notice_id)
        if row is None:  # another's notice is answered the same as one that does not exist
            raise _not_found(notice_id)
        self._writer.execute(
            notice.notice_stream(row["dedupe_key"]),
            lambda history: notice.mark_read(history, principal.user_id),
            CommandContext.new(principal.user_id, principal.organization),
        )
        return self._with_content(self._one(principal, notice_id) or row)

    def _with_content(self, row: dict[str, Any]) -> dict[str, Any]:
        """The row with what the notice says in each language and the path to what it is about."""
        data = {"quarter": row["quarter"], **(row.pop("data", None) or {})}
        content = {}
        for language in ("fr", "en"):
            try:
                content[f"content_{language}"] = self._renderer.content(
                    row["kind"], language, data, audience=row["audience"]
                )
            except TemplateError:  # its e-mail could not be written either (see the delivery log)
                content[f"content_{language}"] = row[f"title_{language}"]
        return {
            **row,
            **content,
            "link": notice_link(row["kind"], row["organization_id"], row["quarter"], data),
        }

    def _one(self, principal: Principal, notice_id: str) -> dict[str, Any] | None:
        query = (
            select(inbox, inbox_reads.c.read_at)
            .select_from(_read_by(principal))
            .where(inbox.c.notice_id == notice_id, visible_to(principal))
        )
        return fetch_one(self._db, query)


def _not_found(notice_id: str) -> NotFound:
    return NotFound(
        "notice.not_found", "Avis introuvable.", "Notice not found.", details={"notice_id": notice_id}
    )
