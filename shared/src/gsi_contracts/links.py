"""Where things are in the web portal: the one list of the pages other services link to.

Notifications puts these paths in each notice (the inbox shows them as links) and, after the
portal's address (``GSI_NOTIFICATIONS_PORTAL_URL``), in each e-mail; the portal serves them.
Paths are relative, French like the portal's addresses, and every part of them is quoted.
"""

from __future__ import annotations

from urllib.parse import quote


def _path(*parts: str) -> str:
    return "/" + "/".join(quote(part, safe="") for part in parts)


def report(organization_id: str, quarter: str) -> str:
    """An organization's report for a quarter: ``/rapports/org-sherbrooke/2026-2027-Q2``."""
    return _path("rapports", organization_id, quarter)


def lock_exception(exception_id: str) -> str:
    return _path("exceptions-verrouillage", exception_id)


def import_(import_id: str) -> str:
    return _path("importations", import_id)


def follow_up(follow_up_id: str) -> str:
    """A regionalization follow-up and its checkpoints."""
    return _path("suivis-regionalisation", follow_up_id)


def person(person_id: str) -> str:
    return _path("personnes", person_id)


def notice(notice_id: str) -> str:
    """A notice of the user's inbox."""
    return _path("avis", notice_id)


def absolute(portal_url: str, path: str) -> str:
    """The path at the portal's address (an e-mail needs the whole address)."""
    return portal_url.rstrip("/") + path
