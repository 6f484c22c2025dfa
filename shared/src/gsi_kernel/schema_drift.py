"""What Alembic's autogenerate does not compare, compared on PostgreSQL: a partial index's
``WHERE``, an index's ``INCLUDE`` columns, CHECK constraints, column collations and sequences.

The service's metadata is created with ``create_all`` in a scratch schema beside the migrated
one, and the catalogs of both are read back the same way: any row on one side only is a
difference (:func:`gsi_kernel.migrations.check` raises on it).
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, MetaData, Table, create_engine, text

# Each query yields one comparable text per object of the schema named :s, with the schema's own
# name taken out. Left out, on purpose: triggers and functions (the events' immutability guard,
# gsi_kernel.store.ddl, is not a table definition); what autogenerate already compares (tables,
# columns, types, nullability, server defaults, index columns, unique constraints).
_CATALOG = {
    # Alembic's version table is no table of the service's.
    "index": """
        SELECT replace(indexdef, :prefix, '') FROM pg_indexes
        WHERE schemaname = :s AND tablename <> 'alembic_version'""",
    "check constraint": """
        SELECT t.relname || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid)
        FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
        JOIN pg_class t ON t.oid = c.conrelid
        WHERE n.nspname = :s AND c.contype = 'c'""",
    "collation": """
        SELECT table_name || '.' || column_name || ' ' || collation_name
        FROM information_schema.columns WHERE table_schema = :s AND collation_name IS NOT NULL""",
    "sequence": "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = :s",
}


def drift(database_url: str, schema: str, metadata: MetaData) -> list[str]:
    """The differences between ``schema`` (migrated) and ``metadata``, one line each."""
    scratch = f"drift_{uuid.uuid4().hex[:12]}"
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{scratch}"'))
            connection.execute(text(f'SET LOCAL search_path TO "{scratch}"'))
            metadata.create_all(connection, tables=_on_postgresql(metadata))
            migrated, declared = _catalog(connection, schema), _catalog(connection, scratch)
            connection.execute(text(f'DROP SCHEMA "{scratch}" CASCADE'))
    finally:
        engine.dispose()
    return [f"only in the migrations: {item}" for item in sorted(migrated - declared)] + [
        f"only in the tables: {item}" for item in sorted(declared - migrated)
    ]


def _on_postgresql(metadata: MetaData) -> list[Table]:
    return [t for t in metadata.sorted_tables if "postgresql" in t.info.get("dialects", ("postgresql",))]


def _catalog(connection: Connection, schema: str) -> set[str]:
    found: set[str] = set()
    for kind, query in _CATALOG.items():
        rows = connection.execute(text(query), {"s": schema, "prefix": f"{schema}."}).scalars()
        found |= {f"{kind} {row}" for row in rows}
    return found
