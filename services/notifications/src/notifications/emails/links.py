"""What each notice links to in the portal (``gsi_contracts.links``): the report for everything
about a quarter's report, the lock exception, the import, the regionalization follow-up. The
inbox gives the path; an e-mail, the whole address."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gsi_contracts import links
from notifications.notices.values import NoticeKind

# The kinds about one object of their own: the data field holding its id, and its page.
_BY_ID: dict[NoticeKind, tuple[str, Callable[[str], str]]] = {
    NoticeKind.LOCK_EXCEPTION_GRANTED: ("exception_id", links.lock_exception),
    NoticeKind.LOCK_EXCEPTION_REFUSED: ("exception_id", links.lock_exception),
    NoticeKind.IMPORT_FINISHED: ("import_id", links.import_),
    NoticeKind.CHECKPOINT_DUE: ("follow_up_id", links.follow_up),
}


def notice_link(kind: str, organization_id: str, quarter: str | None, data: Mapping[str, Any]) -> str | None:
    """The portal path of what the notice is about (None: nothing to open)."""
    by_id = _BY_ID.get(NoticeKind(kind))
    if by_id is not None:
        field, path = by_id
        return path(str(data[field])) if data.get(field) else None
    return links.report(organization_id, quarter) if quarter else None
