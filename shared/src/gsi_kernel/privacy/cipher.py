"""Sealing personal data with a subject's data key (AES-256-GCM, from ``cryptography``).

Fields: a JSON object becomes a compact text token, safe in a JSON event payload::

    v1.<base64url, no padding, of: nonce (12 bytes) | ciphertext | tag (16 bytes)>

Documents (uploaded files, up to a few MB, in memory): bytes become bytes::

    b"GSD1" | nonce (12 bytes) | ciphertext | tag (16 bytes)

Every nonce is random (96 bits): a subject's key seals far fewer than the 2³² messages that
allows. The associated data binds each token to its subject and its purpose
(``gsi.pii.v1`` / ``gsi.document.v1`` + the subject id): a token moved to another person, or a
document token read as a field, fails authentication (:class:`TamperedToken`) instead of
decrypting.

:class:`PiiCodec` is what services use: it finds (or, to seal, creates) the subject's key in the
caller's transaction, and reads an erased subject's data as ``None``, never as an error.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from cryptography.exceptions import InvalidTag
from sqlalchemy import Connection

from gsi_kernel.privacy.errors import (
    InvalidToken,
    SubjectErased,
    TamperedToken,
    UnknownSubject,
)
from gsi_kernel.privacy.keys import DataKey, KeyStore

TOKEN_PREFIX = "v1."
DOCUMENT_MAGIC = b"GSD1"
PII_PURPOSE = "pii"
DOCUMENT_PURPOSE = "document"

_NONCE_BYTES = 12
_TAG_BYTES = 16
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")

T = TypeVar("T")


def seal(key: DataKey, subject_id: str, plaintext: Mapping[str, Any]) -> str:
    """Encrypt a JSON-serialisable mapping for ``subject_id`` into a ``v1.`` text token."""
    data = json.dumps(plaintext, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    sealed = _encrypt(key, subject_id, PII_PURPOSE, data)
    return TOKEN_PREFIX + base64.urlsafe_b64encode(sealed).rstrip(b"=").decode("ascii")


def open_sealed(key: DataKey, subject_id: str, token: str) -> dict[str, Any]:
    """The mapping sealed in ``token``; :class:`TamperedToken` when it was altered or sealed for
    another subject or purpose, :class:`InvalidToken` when it is not a token at all."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
        raise InvalidToken("not a sealed personal-data token (expected the prefix 'v1.')")
    body = token[len(TOKEN_PREFIX) :]
    if not _BASE64URL.fullmatch(body):
        raise InvalidToken("a sealed token's body must be base64url without padding")
    try:
        sealed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidToken("a sealed token's body is not valid base64url") from exc
    value = json.loads(_decrypt(key, subject_id, PII_PURPOSE, sealed))
    if not isinstance(value, dict):
        raise InvalidToken("a sealed token holds a JSON object")
    return value


def seal_bytes(key: DataKey, subject_id: str, data: bytes) -> bytes:
    """Encrypt a document (in memory; meant for files up to about 10 MB) for ``subject_id``."""
    return DOCUMENT_MAGIC + _encrypt(key, subject_id, DOCUMENT_PURPOSE, bytes(data))


def open_bytes(key: DataKey, subject_id: str, blob: bytes) -> bytes:
    """The document sealed in ``blob`` (errors as :func:`open_sealed`)."""
    if not blob.startswith(DOCUMENT_MAGIC):
        raise InvalidToken("not a sealed document (expected the header GSD1)")
    return _decrypt(key, subject_id, DOCUMENT_PURPOSE, bytes(blob[len(DOCUMENT_MAGIC) :]))


class PiiCodec:
    """Personal data in and out of events and documents, for one service's database.

    ``encrypt*`` creates the subject's key on first use (in the caller's transaction) and raises
    :class:`SubjectErased` for an erased subject; ``decrypt*`` returns ``None`` for an erased
    subject, raises :class:`TamperedToken` / :class:`InvalidToken` for a bad token and
    :class:`UnknownSubject` when this database never had a key for the subject.
    """

    def __init__(self, keys: KeyStore) -> None:
        self._keys = keys

    @property
    def keys(self) -> KeyStore:
        return self._keys

    def encrypt(
        self, connection: Connection, subject_id: str, pii: Mapping[str, Any], *, new_subject: bool = False
    ) -> str:
        return seal(self._sealing_key(connection, subject_id, new_subject=new_subject), subject_id, pii)

    def decrypt(self, connection: Connection, subject_id: str, token: str) -> dict[str, Any] | None:
        return self._open(connection, subject_id, lambda key: open_sealed(key, subject_id, token))

    def encrypt_bytes(self, connection: Connection, subject_id: str, data: bytes) -> bytes:
        return seal_bytes(self._sealing_key(connection, subject_id), subject_id, data)

    def decrypt_bytes(self, connection: Connection, subject_id: str, blob: bytes) -> bytes | None:
        return self._open(connection, subject_id, lambda key: open_bytes(key, subject_id, blob))

    def erase(self, connection: Connection, subject_id: str, now: datetime) -> bool:
        """Crypto-shred the subject (see :meth:`KeyStore.shred`)."""
        return self._keys.shred(connection, subject_id, now)

    def _sealing_key(self, connection: Connection, subject_id: str, *, new_subject: bool = False) -> DataKey:
        key = self._keys.key_for(connection, subject_id, create=True, new_subject=new_subject)
        if key is None:
            raise SubjectErased(subject_id)
        return key

    def _open(self, connection: Connection, subject_id: str, opener: Callable[[DataKey], T]) -> T | None:
        key = self._keys.key_for(connection, subject_id, create=False)
        if key is None:
            self._check_erased(connection, subject_id)
            return None
        try:
            return opener(key)
        except TamperedToken:
            # The cached key may be stale (cached by a transaction that rolled back while another
            # one created the subject's key): read it again once before calling the token bad.
            self._keys.evict(subject_id)
            fresh = self._keys.key_for(connection, subject_id, create=False)
            if fresh is None:
                self._check_erased(connection, subject_id)
                return None
            if fresh == key:
                raise
            return opener(fresh)

    def _check_erased(self, connection: Connection, subject_id: str) -> None:
        """No key: fine when the subject was erased, an error when there never was one here."""
        if not self._keys.is_shredded(connection, subject_id):
            raise UnknownSubject(
                f"no key for subject {subject_id!r} in this database: a token from another "
                "service's database, or the wrong database or schema?"
            )


def _associated_data(purpose: str, subject_id: str) -> bytes:
    return f"gsi.{purpose}.v1\x1f{subject_id}".encode()


def _encrypt(key: DataKey, subject_id: str, purpose: str, data: bytes) -> bytes:
    _check_subject(key, subject_id)
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + key.aead.encrypt(nonce, data, _associated_data(purpose, subject_id))


def _decrypt(key: DataKey, subject_id: str, purpose: str, sealed: bytes) -> bytes:
    _check_subject(key, subject_id)
    if len(sealed) < _NONCE_BYTES + _TAG_BYTES:
        raise InvalidToken("a sealed value is too short to hold a nonce and a tag")
    nonce, ciphertext = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    try:
        return key.aead.decrypt(nonce, ciphertext, _associated_data(purpose, subject_id))
    except InvalidTag:
        raise TamperedToken(
            f"sealed {purpose} data does not authenticate for subject {subject_id!r}: altered, or "
            "sealed for another subject"
        ) from None


def _check_subject(key: DataKey, subject_id: str) -> None:
    if key.subject_id != subject_id:
        raise ValueError(f"the key of subject {key.subject_id!r} used for subject {subject_id!r}")
