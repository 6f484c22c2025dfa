"""The storage layer's rule (ADR 2): what differs between PostgreSQL and SQLite lives in the
backends' own modules (gsi_kernel/store/postgres.py, sqlite.py and their private _pg_*
modules); everything else asks the backend (gsi_kernel.store.backend.backend_of) for a named
operation and never tests the dialect itself."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "shared" / "src" / "gsi_kernel" / "store"
# The backends, and the one lookup from a URL or a connection to its backend.
ALLOWED = {STORE / "postgres.py", STORE / "sqlite.py", STORE / "backend.py", *STORE.glob("_pg_*.py")}
# A URL's scheme, read before any database exists: production settings refuse a non-PostgreSQL
# URL (a configuration check, not a storage behaviour).
URL_CHECKS = {ROOT / "shared" / "src" / "gsi_kernel" / "settings.py"}

DIALECT_TESTS = re.compile(
    r"""dialect\.name"""  # connection.dialect.name, engine.dialect.name
    r"""|\bdialect\s*[!=]="""  # db.dialect == "sqlite"
    r"""|[!=]=\s*["'](?:postgresql|sqlite)["']"""
    r"""|\bsqlalchemy\.dialects\b"""  # dialect-specific inserts: the backend's ``insert``
    r"""|\bis_sqlite\b|\bis_postgres"""
)
URL_SCHEME = re.compile(r"get_backend_name\(\)")


def _sources() -> list[Path]:
    roots = [ROOT / "shared" / "src", *sorted((ROOT / "services").glob("*/src"))]
    return [
        path
        for root in roots
        for path in sorted(root.rglob("*.py"))
        # Schema DDL may differ by database: the migrations and the kernel's Alembic runner.
        if "migrations" not in path.parts and path.stem != "migrations"
    ]


def _offends(path: Path, line: str) -> bool:
    if path in URL_CHECKS and URL_SCHEME.search(line):
        return False
    return bool(DIALECT_TESTS.search(line) or URL_SCHEME.search(line))


def test_the_sources_are_found() -> None:
    sources = _sources()
    assert STORE / "event_store.py" in sources
    assert any("reporting" in p.parts for p in sources)


def test_no_code_outside_the_backends_tests_the_dialect() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _sources()
        if path not in ALLOWED
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if _offends(path, line)
    ]
    assert offenders == [], "ask gsi_kernel.store.backend.backend_of(connection) instead:\n" + "\n".join(
        offenders
    )


def test_the_patterns_catch_what_they_are_meant_to() -> None:
    for line in (
        'if connection.dialect.name == "postgresql":',
        'done = x if self._db.dialect == "sqlite" else y',
        "from sqlalchemy.dialects.postgresql import insert as pg_insert",
        '_CREATE = {"postgresql": a, "sqlite": b}[name] if name != "sqlite" else None',
    ):
        assert DIALECT_TESTS.search(line), line
    assert not DIALECT_TESTS.search("compiled = self.statement.compile(dialect=connection.dialect)")
