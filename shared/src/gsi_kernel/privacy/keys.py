"""Per-subject data keys for crypto-shredding (Québec Loi 25: erasure of personal information).

Each subject (a person) gets a random AES-256 data key the first time personal data is sealed
for them. The key is stored in ``subject_keys``, in the service's own database, *wrapped*
(AES-256-GCM) by the master key-encryption key (KEK) of the settings (``GSI_MASTER_KEY``); the
wrapping is bound to the subject id, so a wrapped key copied to another row does not unwrap.
Shredding sets the wrapped key to NULL and records ``shredded_at``: every token sealed with the
key, wherever it was copied (events, outbox, broker, backups of the event store), becomes
unreadable, while the events themselves, and any count of them, stay.

The row stays as a tombstone: an erased subject never silently gets a fresh key, and sealing new
data for them raises :class:`~gsi_kernel.privacy.errors.SubjectErased`.

What shredding does not reach: a database's own copies of the old row (PostgreSQL keeps dead
tuples until VACUUM, SQLite free pages and its WAL until checkpoint) and backups of
``subject_keys`` keep the *wrapped* key, which only the master key opens; erasure is complete
once those age out (VACUUM, backup retention). Keep the master key out of those backups.

Cache. Unwrapped keys are kept in memory, in a bounded LRU with a time to live (60 s by
default), so that a busy writer or projection does not unwrap a key per event:

- ``key_for(..., create=False)`` (the read path) answers from the cache without touching the
  database while the entry is fresh;
- ``key_for(..., create=True)`` (the write path) always reads the row (one primary-key lookup)
  and only reuses the cached *unwrapping*: a key is never used to seal new data unless the
  database has it, so a key cached by a transaction that later rolled back cannot be used to
  seal data that would then be unreadable;
- ``shred`` evicts the entry at once in this process, and keeps the subject out of the cache for
  one TTL, so a read racing the shred cannot put the key back;
- other processes (other replicas, workers) keep their cached entry until it expires: a shred
  takes effect everywhere within the TTL. A process that learns of an erasure earlier (an
  event) may call :meth:`KeyStore.evict`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from gsi_kernel.clock import Clock, SystemClock
from gsi_kernel.privacy.errors import KeyUnwrapError, PrivacyError
from gsi_kernel.privacy.tables import subject_keys
from gsi_kernel.secrets_files import read_or_create_private_file
from gsi_kernel.store.backend import backend_of
from gsi_kernel.store.ports import Backend

KEY_BYTES = 32
DEFAULT_CACHE_SIZE = 10_000
DEFAULT_CACHE_TTL = 60.0  # seconds: how long another process may still read a shredded subject

_SUBJECT_ID_MAX = 200  # subject_keys.subject_id is a String(200)
_WRAP_VERSION = b"\x01"
_KEK_ID_BYTES = 8
_NONCE_BYTES = 12
_WRAP_LABEL = b"gsi.subject-key.v1\x1f"
# version | KEK id | nonce | AES-GCM(data key) with its 16-byte tag
_WRAPPED_BYTES = 1 + _KEK_ID_BYTES + _NONCE_BYTES + KEY_BYTES + 16


class DataKey:
    """A subject's unwrapped data key, ready to seal and open (its AES-GCM context is built once)."""

    __slots__ = ("_material", "aead", "subject_id")

    def __init__(self, subject_id: str, material: bytes) -> None:
        if len(material) != KEY_BYTES:
            raise ValueError(f"a data key is {KEY_BYTES} bytes")
        self.subject_id = subject_id
        self._material = material
        self.aead = AESGCM(material)

    @property
    def material(self) -> bytes:
        """The raw key bytes: for tests and key export only, never to be logged or stored."""
        return self._material

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, DataKey)
            and self.subject_id == other.subject_id
            and hmac.compare_digest(self._material, other._material)
        )

    def __hash__(self) -> int:
        return hash((self.subject_id, self._material))

    def __repr__(self) -> str:
        return f"DataKey(subject_id={self.subject_id!r}, material=<hidden>)"


class KeyStore:
    """The subjects' data keys, wrapped by the master key, in the caller's transaction.

    Thread-safe; one instance per process (its cache is the point). Assumes PostgreSQL's default
    READ COMMITTED isolation (a statement sees rows committed before it started), which the
    creation race below relies on; SQLite serialises writers anyway (``BEGIN IMMEDIATE``).
    """

    def __init__(
        self,
        master_key: bytes,
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
        cache_ttl: float = DEFAULT_CACHE_TTL,
        clock: Clock | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``clock`` dates new keys (``created_at``); ``monotonic`` times the cache entries."""
        if len(master_key) != KEY_BYTES:
            raise ValueError(f"the master key must be {KEY_BYTES} bytes (AES-256)")
        self._kek = AESGCM(master_key)
        self._kek_id = master_key_id(master_key)
        self._cache = _KeyCache(cache_size, cache_ttl, monotonic)
        self._clock: Clock = clock or SystemClock()

    @property
    def master_key_id(self) -> str:
        """A non-secret fingerprint of the master key (hex), recorded in each wrapped key."""
        return self._kek_id.hex()

    def key_for(
        self, connection: Connection, subject_id: str, *, create: bool, new_subject: bool = False
    ) -> DataKey | None:
        """The subject's data key; None when they were erased (shredded) or, unless ``create``,
        have no key yet. ``create=True`` is the write path: it reads the row every time and makes
        the key on first use, inside the caller's transaction. ``new_subject`` (with ``create``):
        the caller just made the subject up, so the key is created without a look first (a
        subject that existed after all is still found: the creation does nothing, then reads)."""
        _check_subject_id(subject_id)
        if create and new_subject:
            return self._create(connection, subject_id)
        if not create:
            cached = self._cache.get(subject_id)
            if cached is not None:
                return cached[1]
        row = self._read(connection, subject_id)
        if row is None:
            return self._create(connection, subject_id) if create else None
        wrapped, shredded_at = row
        if wrapped is None or shredded_at is not None:
            return None
        return self._unwrapped(subject_id, wrapped)

    def shred(self, connection: Connection, subject_id: str, now: datetime) -> bool:
        """Destroy the subject's key (their sealed data becomes unreadable) and record when.

        True when this call erased the subject, False when they already were (idempotent). A
        subject who never had a key gets a tombstone, so none is ever created for them. This
        process forgets the key at once; other processes within their cache's TTL.
        """
        _check_subject_id(subject_id)
        self._cache.evict(subject_id, block=True)
        for _ in range(2):
            result = connection.execute(
                update(subject_keys)
                .where(subject_keys.c.subject_id == subject_id, subject_keys.c.shredded_at.is_(None))
                .values(wrapped_key=None, shredded_at=now)
            )
            if result.rowcount:
                return True
            if self._read(connection, subject_id) is not None:
                return False  # already shredded
            try:
                with connection.begin_nested():
                    connection.execute(
                        insert(subject_keys).values(
                            subject_id=subject_id, wrapped_key=None, created_at=now, shredded_at=now
                        )
                    )
                return True
            except IntegrityError:
                continue  # a key was created concurrently and is now committed: shred it
        raise PrivacyError(f"could not shred subject {subject_id!r}: its key row keeps changing")

    def is_shredded(self, connection: Connection, subject_id: str) -> bool:
        """Whether the subject was erased (read from the database, never from the cache)."""
        row = self._read(connection, subject_id)
        return row is not None and row[1] is not None

    def shredded_at(self, connection: Connection, subject_id: str) -> datetime | None:
        row = self._read(connection, subject_id)
        return None if row is None else row[1]

    def evict(self, subject_id: str) -> None:
        """Forget the cached key of ``subject_id`` in this process (the next read goes to the
        database)."""
        self._cache.evict(subject_id, block=False)

    def clear_cache(self) -> None:
        self._cache.clear()

    # -- internals ---------------------------------------------------------------------------

    @staticmethod
    def _read(connection: Connection, subject_id: str) -> tuple[bytes | None, datetime | None] | None:
        row = connection.execute(_READ, {"subject_id": subject_id}).first()
        if row is None:
            return None
        wrapped = bytes(row.wrapped_key) if row.wrapped_key is not None else None
        return wrapped, row.shredded_at

    def _create(self, connection: Connection, subject_id: str) -> DataKey | None:
        material = AESGCM.generate_key(bit_length=256)
        wrapped = self._wrap(subject_id, material)
        # One round trip, no savepoint: a concurrent creator's row (once committed) makes this
        # insert do nothing, and then its key wins and this caller uses it too.
        values = {"subject_id": subject_id, "wrapped_key": wrapped, "created_at": self._clock.now()}
        created = connection.execute(_create_statement(backend_of(connection)), values).first()
        if created is None:
            row = self._read(connection, subject_id)
            if row is None:
                raise PrivacyError(
                    f"the key of subject {subject_id!r} was created concurrently but cannot be read "
                    "(is the transaction isolation stricter than READ COMMITTED?)"
                )
            if row[0] is None:
                return None
            return self._unwrapped(subject_id, row[0])
        key = DataKey(subject_id, material)
        self._cache.put(subject_id, wrapped, key)
        return key

    def _unwrapped(self, subject_id: str, wrapped: bytes) -> DataKey:
        cached = self._cache.get(subject_id)
        if cached is not None and hmac.compare_digest(cached[0], wrapped):
            return cached[1]
        key = DataKey(subject_id, self._unwrap(subject_id, wrapped))
        self._cache.put(subject_id, wrapped, key)
        return key

    def _wrap(self, subject_id: str, material: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        header = _WRAP_VERSION + self._kek_id
        sealed = self._kek.encrypt(nonce, material, header + _WRAP_LABEL + subject_id.encode())
        return header + nonce + sealed

    def _unwrap(self, subject_id: str, wrapped: bytes) -> bytes:
        if len(wrapped) != _WRAPPED_BYTES or wrapped[:1] != _WRAP_VERSION:
            raise KeyUnwrapError(f"the stored key of subject {subject_id!r} is not a wrapped key (v1)")
        header, nonce, sealed = (
            wrapped[: 1 + _KEK_ID_BYTES],
            wrapped[1 + _KEK_ID_BYTES : 1 + _KEK_ID_BYTES + _NONCE_BYTES],
            wrapped[1 + _KEK_ID_BYTES + _NONCE_BYTES :],
        )
        if not hmac.compare_digest(header[1:], self._kek_id):
            raise KeyUnwrapError(
                f"the key of subject {subject_id!r} was wrapped by another master key "
                f"(id {header[1:].hex()}, this process has {self._kek_id.hex()}): check GSI_MASTER_KEY"
            )
        try:
            return self._kek.decrypt(nonce, sealed, header + _WRAP_LABEL + subject_id.encode())
        except InvalidTag:
            raise KeyUnwrapError(
                f"the stored key of subject {subject_id!r} does not unwrap: altered, or moved from "
                "another subject's row"
            ) from None


@cache
def _create_statement(backend: Backend) -> Any:
    """Built once per backend (every registration creates a key): SQLAlchemy then only binds."""
    return (
        backend.insert(subject_keys)
        .values(
            subject_id=bindparam("subject_id"),
            wrapped_key=bindparam("wrapped_key"),
            created_at=bindparam("created_at"),
            shredded_at=None,
        )
        .on_conflict_do_nothing(index_elements=["subject_id"])
        .returning(subject_keys.c.subject_id)
    )


_READ = select(subject_keys.c.wrapped_key, subject_keys.c.shredded_at).where(
    subject_keys.c.subject_id == bindparam("subject_id")
)


def _check_subject_id(subject_id: str) -> None:
    if not subject_id or len(subject_id) > _SUBJECT_ID_MAX:
        raise ValueError(f"a subject id is 1 to {_SUBJECT_ID_MAX} characters")


def master_key_id(master_key: bytes) -> bytes:
    """A fingerprint naming the master key (HMAC of a constant: it reveals nothing of the key)."""
    return hmac.new(master_key, b"gsi master key id", hashlib.sha256).digest()[:_KEK_ID_BYTES]


def decode_master_key(text: str) -> bytes:
    """The master key from its base64 text (standard or URL-safe alphabet); 32 bytes or an error."""
    value = text.strip()
    try:
        key = base64.b64decode(value.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the master key must be base64 (of 32 random bytes)") from exc
    if len(key) != KEY_BYTES:
        raise ValueError(f"the master key must be base64 of {KEY_BYTES} bytes, not {len(key)}")
    return key


def generate_master_key() -> str:
    """A new master key, as the base64 text ``GSI_MASTER_KEY`` takes."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def load_or_create_dev_master_key(path: Path) -> bytes:
    """The development master key, created on first use (mode 0600); safe across processes.

    Never used in production (the settings refuse a missing ``GSI_MASTER_KEY`` there). Losing
    the file makes the development data's personal information unreadable, as a shred would.
    """
    text = read_or_create_private_file(path, lambda: (generate_master_key() + "\n").encode())
    return decode_master_key(text.decode())


@dataclass(slots=True)
class _Entry:
    wrapped: bytes
    key: DataKey
    expires: float


class _KeyCache:
    """A bounded LRU of unwrapped keys with a time to live, and a short block list of subjects
    just shredded (so that a read racing the shred cannot re-cache the key)."""

    def __init__(self, capacity: int, ttl: float, monotonic: Callable[[], float]) -> None:
        if capacity < 1 or ttl <= 0:
            raise ValueError("the key cache needs a positive size and time to live")
        self._capacity = capacity
        self._ttl = ttl
        self._monotonic = monotonic
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._blocked: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, subject_id: str) -> tuple[bytes, DataKey] | None:
        now = self._monotonic()
        with self._lock:
            entry = self._entries.get(subject_id)
            if entry is None:
                return None
            if entry.expires <= now:
                del self._entries[subject_id]
                return None
            self._entries.move_to_end(subject_id)
            return entry.wrapped, entry.key

    def put(self, subject_id: str, wrapped: bytes, key: DataKey) -> None:
        now = self._monotonic()
        with self._lock:
            until = self._blocked.get(subject_id)
            if until is not None:
                if until > now:
                    return
                del self._blocked[subject_id]
            self._entries[subject_id] = _Entry(wrapped, key, now + self._ttl)
            self._entries.move_to_end(subject_id)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)

    def evict(self, subject_id: str, *, block: bool) -> None:
        now = self._monotonic()
        with self._lock:
            self._entries.pop(subject_id, None)
            if block:
                self._blocked.pop(subject_id, None)
                self._blocked[subject_id] = now + self._ttl
                while self._blocked:  # same duration for all: the oldest expire first
                    oldest, until = next(iter(self._blocked.items()))
                    if until > now:
                        break
                    del self._blocked[oldest]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._blocked.clear()
