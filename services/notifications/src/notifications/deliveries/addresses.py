"""E-mail addresses and identifiers of the e-mails of notices."""

from __future__ import annotations

import uuid

_NAMESPACE = uuid.UUID("6f0d9b8e-4c1a-5e7b-9a53-2d8f1c0e7b41")
_ATEXT = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~")
_LABEL = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def delivery_id(stream_id: str, recipient: int) -> str:
    """The id of one delivery, derived from its notice stream and recipient (same on replay)."""
    return str(uuid.uuid5(_NAMESPACE, f"{stream_id}#{recipient}"))


def message_id(notice_id: str, address: str, domain: str) -> str:
    """The Message-ID of the e-mail of a notice to an address: the same on every attempt, so a
    copy that a crash made the system send twice is recognisable (and merged by most clients)."""
    local = uuid.uuid5(_NAMESPACE, f"{notice_id}|{address.strip().lower()}")
    return f"<{local}@{domain}>"


def address_problem(address: str) -> str | None:
    """Why ``address`` cannot go in an SMTP envelope, or None. Accepted: ``local@domain.tld`` in
    plain ASCII (a dot-atom local part, hostname labels) — which also keeps line breaks and
    angle brackets out of the headers and the SMTP commands."""
    local, at, domain = address.rpartition("@")
    labels = domain.lower().split(".")
    valid = (
        bool(at)
        and 0 < len(local) <= 64
        and len(address) <= 254
        and all(part and set(part) <= _ATEXT for part in local.split("."))
        and len(labels) >= 2
        and all(
            0 < len(label) <= 63 and set(label) <= _LABEL and label[0] != "-" and label[-1] != "-"
            for label in labels
        )
        and not labels[-1].isdigit()
    )
    return None if valid else f"not a deliverable e-mail address: {address!r}"
