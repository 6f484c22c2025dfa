"""Crypto-shredding (Loi 25), run against SQLite and PostgreSQL alike: personal data sealed per
subject, bound to its subject, unreadable everywhere once the subject's key is shredded, while
the events stay."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, event, func, select, text, update

from gsi_kernel.clock import FixedClock
from gsi_kernel.envelope import CommandContext
from gsi_kernel.events import DomainEvent
from gsi_kernel.privacy import (
    DataKey,
    InvalidToken,
    KeyStore,
    KeyUnwrapError,
    PiiCodec,
    SubjectErased,
    TamperedToken,
    UnknownSubject,
    create_privacy_tables_v1,
    open_bytes,
    open_sealed,
    seal,
)
from gsi_kernel.privacy.tables import subject_keys
from gsi_kernel.store.database import Database
from gsi_kernel.store.event_store import EventStore
from tests.databases import read_everything

MASTER = bytes.fromhex("8d2f" * 16)
OTHER_MASTER = bytes.fromhex("11aa" * 16)
NOW = datetime(2026, 11, 20, 15, tzinfo=UTC)
PII = {"first_name": "Éloïse", "last_name": "Tremblay-Nguyen", "birth_date": "1987-03-14", "nas": None}


class FakeMonotonic:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def db(database: Database) -> Database:
    with database.transaction() as c:
        create_privacy_tables_v1(c)
    return database


def codec(master: bytes = MASTER, **options: Any) -> PiiCodec:
    return PiiCodec(KeyStore(master, clock=FixedClock(NOW), **options))


def encrypt(db: Database, c: PiiCodec, subject: str, pii: dict[str, Any] = PII) -> str:
    with db.transaction() as conn:
        return c.encrypt(conn, subject, pii)


def decrypt(db: Database, c: PiiCodec, subject: str, token: str) -> dict[str, Any] | None:
    with db.transaction() as conn:
        return c.decrypt(conn, subject, token)


def key_of(db: Database, keys: KeyStore, subject: str, *, create: bool = False) -> DataKey | None:
    with db.transaction() as conn:
        return keys.key_for(conn, subject, create=create)


class Rollback(Exception):
    pass


def rolled_back(db: Database, action: Callable[[Connection], object]) -> None:
    """Run ``action`` in a transaction that is then rolled back."""
    with suppress(Rollback), db.transaction() as conn:
        action(conn)
        raise Rollback


def row_of(db: Database, subject: str) -> Any:
    with db.transaction() as conn:
        return conn.execute(select(subject_keys).where(subject_keys.c.subject_id == subject)).one()


def token_bytes(token: str) -> bytes:
    body = token.removeprefix("v1.")
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


# -- sealing -------------------------------------------------------------------------------------


def test_personal_data_round_trips_and_each_subject_has_its_own_key(db: Database) -> None:
    c = codec()
    token = encrypt(db, c, "person-1", PII)
    assert decrypt(db, c, "person-1", token) == PII
    assert decrypt(db, codec(), "person-1", token) == PII  # another process, same master key
    assert encrypt(db, c, "person-1", PII) != token  # a fresh nonce each time
    encrypt(db, c, "person-2")
    assert key_of(db, c.keys, "person-1") != key_of(db, c.keys, "person-2")
    with db.transaction() as conn:
        assert conn.execute(select(func.count()).select_from(subject_keys)).scalar_one() == 2
    assert row_of(db, "person-1").created_at == NOW


def test_documents_round_trip_and_are_bound_to_their_purpose(db: Database) -> None:
    c = codec()
    document = os.urandom(1_000_000)
    with db.transaction() as conn:
        blob = c.encrypt_bytes(conn, "person-1", document)
        assert c.decrypt_bytes(conn, "person-1", blob) == document
    assert blob.startswith(b"GSD1")
    assert document[:64] not in blob
    key = key_of(db, c.keys, "person-1")
    assert key is not None
    # a document's sealed body is no field token, and the other way round
    as_field = "v1." + base64.urlsafe_b64encode(blob[4:]).rstrip(b"=").decode()
    with pytest.raises(TamperedToken):
        open_sealed(key, "person-1", as_field)
    with pytest.raises(TamperedToken):
        open_bytes(key, "person-1", b"GSD1" + token_bytes(seal(key, "person-1", PII)))


def test_the_token_is_compact_text_and_carries_no_plaintext(db: Database) -> None:
    token = encrypt(db, codec(), "person-1")
    assert token.startswith("v1.")
    assert token.isascii()
    assert set(token[3:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    raw = token_bytes(token)
    assert len(raw) == 12 + len(json.dumps(PII, ensure_ascii=False, separators=(",", ":")).encode()) + 16
    for secret in ("Éloïse", "Tremblay", "1987-03-14", "first_name"):
        assert secret.encode() not in raw
        assert secret not in token


def test_a_token_sealed_for_one_subject_does_not_open_for_another(db: Database) -> None:
    c = codec()
    token_a = encrypt(db, c, "person-a")
    encrypt(db, c, "person-b")
    with pytest.raises(TamperedToken, match="person-b"):
        decrypt(db, c, "person-b", token_a)
    # the binding is the associated data, not only the key: the right key under another name fails
    key_a = key_of(db, c.keys, "person-a")
    assert key_a is not None
    with pytest.raises(TamperedToken):
        open_sealed(DataKey("person-b", key_a.material), "person-b", token_a)
    with pytest.raises(ValueError, match="used for subject"):
        open_sealed(key_a, "person-b", token_a)


def test_altered_tokens_raise_a_clear_error(db: Database) -> None:
    c = codec()
    token = encrypt(db, c, "person-1")
    middle = len(token) // 2
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    with pytest.raises(TamperedToken, match="altered"):
        decrypt(db, c, "person-1", flipped)
    with pytest.raises(TamperedToken):
        decrypt(db, c, "person-1", token[:-6])
    for not_a_token in ("", "hello", "v2." + token[3:], "v1.", "v1.abc", "v1.a+b/c==", token + "="):
        with pytest.raises(InvalidToken):
            decrypt(db, c, "person-1", not_a_token)
    with db.transaction() as conn:
        blob = bytearray(c.encrypt_bytes(conn, "person-1", b"%PDF-1.7 ..."))
        blob[-1] ^= 1
        with pytest.raises(TamperedToken):
            c.decrypt_bytes(conn, "person-1", bytes(blob))
        with pytest.raises(InvalidToken):
            c.decrypt_bytes(conn, "person-1", b"%PDF-1.7 not sealed")
    assert decrypt(db, c, "person-1", token) == PII  # the genuine token still opens


def test_a_subject_never_seen_here_is_an_error_not_an_erasure(db: Database) -> None:
    other_database_token = seal(DataKey("stranger", os.urandom(32)), "stranger", PII)
    with pytest.raises(UnknownSubject):
        decrypt(db, codec(), "stranger", other_database_token)
    assert key_of(db, codec().keys, "stranger") is None


# -- shredding -----------------------------------------------------------------------------------


def test_shredding_makes_the_data_unreadable_at_once_and_everywhere(db: Database) -> None:
    c = codec()
    token = encrypt(db, c, "person-1")
    with db.transaction() as conn:
        blob = c.encrypt_bytes(conn, "person-1", b"scan of a passport")
    assert decrypt(db, c, "person-1", token) == PII  # the key is now cached in this process
    with db.transaction() as conn:
        assert c.erase(conn, "person-1", NOW) is True
    assert decrypt(db, c, "person-1", token) is None  # same process, immediately
    with db.transaction() as conn:
        assert c.decrypt_bytes(conn, "person-1", blob) is None
    assert decrypt(db, codec(), "person-1", token) is None  # a fresh process
    with db.transaction() as conn:
        assert c.keys.is_shredded(conn, "person-1")
        assert c.keys.shredded_at(conn, "person-1") == NOW
        assert c.keys.key_for(conn, "person-1", create=True) is None  # never a new key
        with pytest.raises(SubjectErased) as raised:
            c.encrypt(conn, "person-1", PII)
    assert raised.value.code == "privacy.subject_erased"
    row = row_of(db, "person-1")
    assert row.wrapped_key is None
    assert row.shredded_at == NOW


def test_shredding_is_idempotent_and_covers_subjects_without_a_key(db: Database) -> None:
    keys = codec().keys
    encrypt(db, PiiCodec(keys), "person-1")
    with db.transaction() as conn:
        assert keys.shred(conn, "person-1", NOW) is True
        assert keys.shred(conn, "person-1", NOW) is False
    with db.transaction() as conn:
        assert keys.shred(conn, "person-1", NOW) is False
        assert keys.shred(conn, "never-sealed", NOW) is True  # a tombstone
        assert keys.shred(conn, "never-sealed", NOW) is False
        assert keys.is_shredded(conn, "never-sealed")
        assert not keys.is_shredded(conn, "someone-else")
    with pytest.raises(SubjectErased):
        encrypt(db, PiiCodec(keys), "never-sealed")


def test_a_rolled_back_shred_erases_nothing(db: Database) -> None:
    c = codec()
    token = encrypt(db, c, "person-1")
    rolled_back(db, lambda conn: c.erase(conn, "person-1", NOW))
    assert decrypt(db, c, "person-1", token) == PII
    assert not row_of(db, "person-1").shredded_at


def test_another_process_stops_reading_within_the_cache_ttl(db: Database) -> None:
    writer = codec()
    clock = FakeMonotonic()
    reader = codec(cache_ttl=60.0, monotonic=clock)
    token = encrypt(db, writer, "person-1")
    assert decrypt(db, reader, "person-1", token) == PII  # cached by the reader's process
    with db.transaction() as conn:
        writer.erase(conn, "person-1", NOW)
    clock.value += 59
    assert decrypt(db, reader, "person-1", token) == PII  # documented: up to one TTL late
    clock.value += 2
    assert decrypt(db, reader, "person-1", token) is None
    with pytest.raises(SubjectErased):  # and the write path never trusts the cache
        encrypt(db, reader, "person-1")


def test_events_and_their_count_survive_the_erasure(db: Database) -> None:
    class Registered(DomainEvent):
        event_type = "test.PersonRegistered"
        person_id: str
        organization: str
        pii: str

    c = codec()
    events = EventStore(source="gsi/test", clock=FixedClock(NOW))
    context = CommandContext.new("karine", "org-sherbrooke")
    with db.transaction() as conn:
        for i in range(3):
            pii = c.encrypt(conn, f"person-{i}", {"name": f"Personne {i}"})
            events.append(
                conn,
                f"person-{i}",
                0,
                [Registered(person_id=f"person-{i}", organization="o", pii=pii)],
                context,
            )
    with db.transaction() as conn:
        c.erase(conn, "person-1", NOW)
    stored = read_everything(db, events)
    assert len(stored) == 3
    with db.transaction() as conn:
        names = [c.decrypt(conn, e.payload["person_id"], e.payload["pii"]) for e in stored]
        raw = conn.execute(text("SELECT payload FROM events")).all()
    assert names == [{"name": "Personne 0"}, None, {"name": "Personne 2"}]
    assert "Personne" not in str(raw)


# -- keys at rest --------------------------------------------------------------------------------


def test_the_stored_key_is_wrapped_and_never_the_raw_key(db: Database) -> None:
    keys = codec().keys
    key = key_of(db, keys, "person-1", create=True)
    assert key is not None
    wrapped = bytes(row_of(db, "person-1").wrapped_key)
    assert len(wrapped) == 69  # version, master key id, nonce, key, tag
    assert key.material not in wrapped
    assert wrapped[1:9].hex() == keys.master_key_id
    assert "material=<hidden>" in repr(key)
    assert key.material.hex() not in repr(key)


def test_a_wrong_master_key_cannot_unwrap(db: Database) -> None:
    token = encrypt(db, codec(), "person-1")
    with pytest.raises(KeyUnwrapError, match="another master key"):
        key_of(db, KeyStore(OTHER_MASTER), "person-1")
    with pytest.raises(KeyUnwrapError):
        decrypt(db, codec(OTHER_MASTER), "person-1", token)  # an error, never "erased"
    # a wrong key that forges the right fingerprint still fails on the tag
    forged = KeyStore(OTHER_MASTER)
    forged._kek_id = KeyStore(MASTER)._kek_id
    with pytest.raises(KeyUnwrapError, match="does not unwrap"):
        key_of(db, forged, "person-1")


def test_a_wrapped_key_moved_to_another_subject_does_not_unwrap(db: Database) -> None:
    c = codec()
    encrypt(db, c, "victim")
    encrypt(db, c, "attacker")
    with db.transaction() as conn:
        victims = conn.execute(
            select(subject_keys.c.wrapped_key).where(subject_keys.c.subject_id == "victim")
        ).scalar_one()
        conn.execute(
            update(subject_keys).where(subject_keys.c.subject_id == "attacker").values(wrapped_key=victims)
        )
    with pytest.raises(KeyUnwrapError, match="moved from another subject"):
        key_of(db, codec().keys, "attacker")


# -- the cache -----------------------------------------------------------------------------------


class StatementCounter:
    def __init__(self, db: Database) -> None:
        self.count = 0
        self._engine = db.engine

    def __enter__(self) -> StatementCounter:
        event.listen(self._engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "subject_keys" in statement:
            self.count += 1


def test_reads_come_from_a_bounded_cache_writes_always_check_the_database(db: Database) -> None:
    clock = FakeMonotonic()
    c = codec(cache_size=2, cache_ttl=60.0, monotonic=clock)
    tokens = {s: encrypt(db, c, s) for s in ("p1", "p2", "p3")}  # p1 falls out of the LRU
    with StatementCounter(db) as reads:
        assert decrypt(db, c, "p3", tokens["p3"]) == PII
        assert decrypt(db, c, "p2", tokens["p2"]) == PII
    assert reads.count == 0
    with StatementCounter(db) as reads:
        assert decrypt(db, c, "p1", tokens["p1"]) == PII
    assert reads.count == 1
    with StatementCounter(db) as reads:
        encrypt(db, c, "p1")  # the write path: one primary-key read, no new key
    assert reads.count == 1
    clock.value += 61
    with StatementCounter(db) as reads:
        assert decrypt(db, c, "p1", tokens["p1"]) == PII  # expired: read again
    assert reads.count == 1


def test_a_key_cached_by_a_rolled_back_transaction_is_never_used(db: Database) -> None:
    c = codec()
    rolled_back(db, lambda conn: c.encrypt(conn, "person-1", PII))  # creates and caches a key
    with db.transaction() as conn:  # the write path notices and makes the key that is kept
        assert c.keys.key_for(conn, "person-1", create=False) is not None  # stale, from the cache
        token = c.encrypt(conn, "person-1", PII)
    assert decrypt(db, codec(), "person-1", token) == PII  # readable by every process


def test_a_stale_cached_key_is_refreshed_before_a_token_is_called_bad(db: Database) -> None:
    mine, theirs = codec(), codec()
    rolled_back(db, lambda conn: mine.encrypt(conn, "person-1", PII))
    token = encrypt(db, theirs, "person-1")  # another process creates the key that is kept
    assert decrypt(db, mine, "person-1", token) == PII


# -- concurrency ---------------------------------------------------------------------------------


def test_many_subjects_at_once_get_distinct_keys(db: Database) -> None:
    c = codec()
    errors: list[BaseException] = []
    tokens: dict[str, str] = {}

    def work(worker: int) -> None:
        try:
            for i in range(15):
                subject = f"w{worker}-s{i}"
                tokens[subject] = encrypt(db, c, subject, {"n": subject})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    fresh = codec()
    keys = {s: key_of(db, fresh.keys, s) for s in tokens}
    assert len({k.material for k in keys.values() if k is not None}) == 120
    assert all(decrypt(db, fresh, s, t) == {"n": s} for s, t in tokens.items())


def test_many_transactions_creating_the_same_key_at_once_agree_on_one(db: Database) -> None:
    barrier = threading.Barrier(8)
    found: list[DataKey | None] = []
    errors: list[BaseException] = []

    def work() -> None:
        keys = KeyStore(MASTER)  # one process each
        try:
            barrier.wait()
            found.append(key_of(db, keys, "popular", create=True))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(found) == 8
    assert len({k.material for k in found if k is not None}) == 1
    assert key_of(db, KeyStore(MASTER), "popular") == found[0]


def test_two_transactions_creating_the_same_key_one_wins_and_both_use_it(db: Database) -> None:
    """The loser's INSERT waits on the winner's uncommitted row (PostgreSQL) or its BEGIN waits on
    the winner's write lock (SQLite); either way it ends up with the winner's key."""
    first, second = codec(), codec()
    result: dict[str, Any] = {}
    ready = threading.Event()

    def loser() -> None:
        try:
            with db.transaction() as conn:
                if db.dialect == "postgresql":
                    result["pid"] = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
                ready.set()
                result["key"] = second.keys.key_for(conn, "person-1", create=True)
                result["token"] = second.encrypt(conn, "person-1", {"by": "second"})
        except BaseException as exc:
            result["error"] = exc
            ready.set()

    with db.transaction() as conn:
        winner = first.keys.key_for(conn, "person-1", create=True)
        thread = threading.Thread(target=loser)
        thread.start()
        if db.dialect == "postgresql":
            ready.wait(10)
            _wait_until_blocked(db, result["pid"])
        else:
            time.sleep(0.3)  # the loser's BEGIN IMMEDIATE is waiting for this transaction
        token = first.encrypt(conn, "person-1", {"by": "first"})
    thread.join(30)
    assert "error" not in result, result.get("error")
    assert result["key"] == winner
    assert decrypt(db, codec(), "person-1", token) == {"by": "first"}
    assert decrypt(db, codec(), "person-1", result["token"]) == {"by": "second"}
    with db.transaction() as conn:
        assert conn.execute(select(func.count()).select_from(subject_keys)).scalar_one() == 1


def _wait_until_blocked(db: Database, pid: int) -> None:
    deadline = time.monotonic() + 10
    with db.engine.connect() as observer:
        while time.monotonic() < deadline:
            waiting = observer.execute(
                text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            ).scalar_one_or_none()
            observer.rollback()
            if waiting == "Lock":
                return
            time.sleep(0.01)
    raise AssertionError("the second transaction never waited for the first one's key")


def test_sealing_for_a_new_subject_skips_the_look_but_never_replaces_a_key(db: Database) -> None:
    c = codec()
    with db.transaction() as conn:
        first = c.encrypt(conn, "new-person", PII, new_subject=True)
    with db.transaction() as conn:  # told "new" by mistake: the existing key is kept and used
        second = c.encrypt(conn, "new-person", PII, new_subject=True)
    assert decrypt(db, codec(), "new-person", first) == PII
    assert decrypt(db, codec(), "new-person", second) == PII
    with db.transaction() as conn:
        c.erase(conn, "new-person", NOW)
    with pytest.raises(SubjectErased), db.transaction() as conn:  # an erased subject stays erased
        c.encrypt(conn, "new-person", PII, new_subject=True)
