"""Personal data at rest for registration: sealed under each person's own key (crypto-shredding,
gsi_kernel.privacy), and the UCI kept only as a keyed hash for exact-duplicate matching."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection

from gsi_kernel.errors import Conflict
from gsi_kernel.privacy.cipher import PiiCodec
from gsi_kernel.privacy.errors import SubjectErased


class PersonVault:
    def __init__(self, codec: PiiCodec, master_key: bytes) -> None:
        self._codec = codec
        # A key of its own for UCI hashes, derived from the master key: hashes are not reversible
        # by brute force over the small UCI space without it.
        self._uci_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"gsi.registration.uci-hash.v1"
        ).derive(master_key)

    def seal(
        self, connection: Connection, person_id: str, fields: dict[str, Any], *, new: bool = False
    ) -> str:
        """Seal under the person's key (created with the first seal, in this transaction;
        ``new``: the person was just registered, so there is no key to look for first)."""
        try:
            return self._codec.encrypt(connection, person_id, fields, new_subject=new)
        except SubjectErased as exc:
            raise Conflict(
                "person.erased", "Cette personne a été effacée (Loi 25).", "This person was erased (Loi 25)."
            ) from exc

    def open(self, connection: Connection, person_id: str, token: str) -> dict[str, Any] | None:
        """The sealed fields, or None once the person was erased."""
        return self._codec.decrypt(connection, person_id, token)

    def seal_document(self, connection: Connection, person_id: str, content: bytes) -> bytes:
        try:
            return self._codec.encrypt_bytes(connection, person_id, content)
        except SubjectErased as exc:
            raise Conflict(
                "person.erased", "Cette personne a été effacée (Loi 25).", "This person was erased (Loi 25)."
            ) from exc

    def open_document(self, connection: Connection, person_id: str, sealed: bytes) -> bytes | None:
        return self._codec.decrypt_bytes(connection, person_id, sealed)

    def shred(self, connection: Connection, person_id: str, now: datetime) -> None:
        self._codec.erase(connection, person_id, now)

    def uci_hash(self, uci: str) -> str:
        normalized = "".join(ch for ch in uci if ch.isalnum()).upper()
        return hmac.new(self._uci_key, normalized.encode(), hashlib.sha256).hexdigest()
