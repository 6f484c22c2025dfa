"""Recording notices: recipients and titles resolved from the workflow tables, then one new
stream per deduplication key (a key already recorded is left alone)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from gsi_kernel.envelope import CommandContext
from gsi_kernel.writer import StreamWriter
from notifications.notices import domain as notice
from notifications.notices.domain import RecordNotice
from notifications.notices.messages import titles
from notifications.notices.recipients import organization_name, recipients
from notifications.notices.values import Audience, NoticeKind


def prepare(
    connection: Connection,
    *,
    dedupe_key: str,
    kind: NoticeKind,
    organization_id: str,
    audience: Audience,
    quarter: str | None,
    data: Mapping[str, Any],
) -> RecordNotice:
    full = {"organization_name": organization_name(connection, organization_id), **data}
    title_fr, title_en = titles(kind, quarter, full)
    return RecordNotice(
        dedupe_key=dedupe_key,
        kind=kind,
        organization_id=organization_id,
        audience=audience,
        quarter=quarter,
        title_fr=title_fr,
        title_en=title_en,
        data=full,
        recipients=recipients(connection, organization_id, audience),
    )


def record_in(
    writer: StreamWriter, connection: Connection, command: RecordNotice, context: CommandContext
) -> None:
    writer.execute(
        notice.notice_stream(command.dedupe_key),
        lambda history: notice.record(history, command),
        context,
        connection=connection,
    )
