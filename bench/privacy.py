"""``uv run python -m bench.privacy``: the cost of sealing personal data (crypto-shredding).

- pure crypto: seal / open of a registration-sized PII object, unwrap of a data key, and
  documents (1 MB) in MB/s;
- through the database, one transaction each: the write path (``PiiCodec.encrypt``: one
  primary-key read + seal) and the read path (``PiiCodec.decrypt``), cached or not, on SQLite
  and, with ``--url`` or ``GSI_TEST_DATABASE_URL``, on PostgreSQL (a throwaway schema).
Figures are printed, never asserted: the machine decides them.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text

from gsi_kernel.privacy import (
    DataKey,
    KeyStore,
    PiiCodec,
    create_privacy_tables_v1,
    open_bytes,
    open_sealed,
    seal,
    seal_bytes,
)
from gsi_kernel.store.database import Database, connect

PII = {
    "first_name": "Éloïse",
    "last_name": "Tremblay-Nguyen",
    "birth_date": "1987-03-14",
    "email": "eloise.tn@example.ca",
    "phone": "+1 819 555 0142",
    "address": {"street": "1234, rue King Ouest", "city": "Sherbrooke", "postal_code": "J1H 1R4"},
}


def rate(n: int, fn: Callable[[int], object]) -> float:
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - start)


def line(label: str, value: float, unit: str = "/s") -> None:
    print(f"{label:<62}{value:>14,.0f} {unit}")


def crypto(n: int) -> None:
    keys = KeyStore(os.urandom(32))
    key = DataKey("bench-subject", os.urandom(32))
    token = seal(key, key.subject_id, PII)
    line("seal (PII object → v1. token)", rate(n, lambda _: seal(key, key.subject_id, PII)))
    line("open_sealed (v1. token → PII object)", rate(n, lambda _: open_sealed(key, key.subject_id, token)))
    wrapped = keys._wrap(key.subject_id, key.material)
    line("unwrap a data key (what the cache saves)", rate(n, lambda _: keys._unwrap(key.subject_id, wrapped)))
    document = os.urandom(1_000_000)
    blob = seal_bytes(key, key.subject_id, document)
    line("seal_bytes (1 MB document)", rate(50, lambda _: seal_bytes(key, key.subject_id, document)), "MB/s")
    line("open_bytes (1 MB document)", rate(50, lambda _: open_bytes(key, key.subject_id, blob)), "MB/s")


def database(db: Database, name: str, n: int) -> None:
    with db.transaction() as c:
        create_privacy_tables_v1(c)
    codec = PiiCodec(KeyStore(os.urandom(32)))
    subjects = [f"person-{i}" for i in range(n)]

    def encrypt(i: int) -> str:
        with db.transaction() as c:
            return codec.encrypt(c, subjects[i], PII)

    line(f"{name}: encrypt, new subject (key created), 1 tx each", rate(n, encrypt))
    tokens = [encrypt(i) for i in range(n)]
    line(f"{name}: encrypt, known subject (1 key read), 1 tx each", rate(n, encrypt))

    def decrypt(i: int) -> object:
        with db.transaction() as c:
            return codec.decrypt(c, subjects[i], tokens[i])

    line(f"{name}: decrypt, cached key, 1 tx each", rate(n, decrypt))

    def decrypt_cold(i: int) -> object:
        codec.keys.evict(subjects[i])
        return decrypt(i)

    line(f"{name}: decrypt, key read + unwrapped, 1 tx each", rate(n, decrypt_cold))
    with db.transaction() as c:
        line(
            f"{name}: decrypt, cached key, one tx for all",
            rate(n, lambda i: codec.decrypt(c, subjects[i], tokens[i])),
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=20_000, help="crypto operations per measure")
    parser.add_argument("--rows", type=int, default=1_000, help="transactions per database measure")
    parser.add_argument("--url", default=os.environ.get("GSI_TEST_DATABASE_URL"), help="PostgreSQL URL")
    args = parser.parse_args()

    print(f"{'measure':<62}{'rate':>14}")
    crypto(args.ops)
    with tempfile.TemporaryDirectory() as directory:
        db = connect(f"sqlite:///{Path(directory) / 'bench.db'}")
        try:
            database(db, "SQLite", args.rows)
        finally:
            db.dispose()
    if args.url:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.url)
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        db = connect(args.url, schema=schema)
        try:
            database(db, "PostgreSQL", args.rows)
        finally:
            db.dispose()
            with admin.begin() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
