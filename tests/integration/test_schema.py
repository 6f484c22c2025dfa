"""Each service's migrations and its tables say one thing (issue 20, "One source of truth").

A fresh PostgreSQL schema is migrated to head, then compared with the service's metadata
(migrations/env.py) by Alembic's ``check`` and by gsi_kernel.schema_drift (what autogenerate does
not compare): a table, column, type, nullability, server default, index, constraint, collation or
sequence present on one side only fails here (ADR 24).
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Index, String, Table, text

from gsi_kernel.migrations import SchemaDiffers
from gsi_kernel.schema_cli import check_schema, new_revision
from gsi_kernel.store.types import UtcDateTime

pytestmark = pytest.mark.postgres

SERVICES = ["registration", "interventions", "reporting", "notifications"]


def _migrations(service: str) -> Path:
    migrations: Path = importlib.import_module(f"{service}.bootstrap").MIGRATIONS
    return migrations


@pytest.mark.parametrize("service", SERVICES)
def test_the_migrated_schema_is_the_metadata(service: str, postgres_url: str) -> None:
    check_schema(postgres_url, _migrations(service))


@pytest.mark.parametrize("service", SERVICES)
def test_an_index_made_by_a_migration_only_is_found(service: str, postgres_url: str, tmp_path: Path) -> None:
    migrations = _with_hand_written_migration(
        service, tmp_path, "op.create_index('ix_only_in_a_migration', 'events', ['actor'])"
    )
    with pytest.raises(SchemaDiffers, match="ix_only_in_a_migration"):
        check_schema(postgres_url, migrations)


# What Alembic's autogenerate does not compare, and gsi_kernel.schema_drift does: a migration's
# statements, and what the difference found names.
UNSEEN_BY_AUTOGENERATE = {
    "a partial index's WHERE": (
        "ix_persons_unnumbered",
        "op.drop_index('ix_persons_unnumbered', 'persons')",
        "op.create_index('ix_persons_unnumbered', 'persons', ['registered_at'])",
    ),
    "an index's INCLUDE": (
        "ix_name_tokens_prefix",
        "op.drop_index('ix_name_tokens_prefix', 'name_tokens')",
        "op.create_index('ix_name_tokens_prefix', 'name_tokens', ['token'])",
    ),
    "a check constraint": (
        "ck_subject_keys_key_xor_shredded",
        "op.drop_constraint('ck_subject_keys_key_xor_shredded', 'subject_keys')",
    ),
    "a collation": (
        "name_tokens.token",
        """op.execute('ALTER TABLE name_tokens ALTER COLUMN token TYPE varchar(200) COLLATE "default"')""",
    ),
    "a sequence": ("person_file_numbers", "op.execute('DROP SEQUENCE person_file_numbers')"),
    "a nullability of PostgreSQL only": ("tx_id", "op.alter_column('events', 'tx_id', nullable=True)"),
}


@pytest.mark.parametrize("change", UNSEEN_BY_AUTOGENERATE.values(), ids=UNSEEN_BY_AUTOGENERATE.keys())
def test_what_autogenerate_cannot_see_is_compared(
    change: tuple[str, ...], postgres_url: str, tmp_path: Path
) -> None:
    named, *statements = change
    migrations = _with_hand_written_migration("registration", tmp_path, *statements)
    with pytest.raises(SchemaDiffers, match=named):
        check_schema(postgres_url, migrations)


def _with_hand_written_migration(service: str, tmp_path: Path, *statements: str) -> Path:
    """A copy of the service's migrations, and a migration written by hand on top."""
    migrations = tmp_path / "migrations"
    shutil.copytree(_migrations(service), migrations, ignore=shutil.ignore_patterns("__pycache__"))
    [head] = ScriptDirectory(str(migrations)).get_heads()
    body = "".join(f"    {statement}\n" for statement in statements)
    (migrations / "versions" / "9999_hand_written.py").write_text(
        f"from alembic import op\n\nrevision = '9999'\ndown_revision = {head!r}\n\n\n"
        f"def upgrade() -> None:\n{body}"
    )
    return migrations


def test_a_new_migration_is_generated_from_the_tables(postgres_url: str, tmp_path: Path) -> None:
    """``make migration``: a table added to the metadata comes out as the next revision, which
    then builds the tables exactly (on a copy of reporting's migrations)."""
    from reporting.tables import metadata

    migrations = tmp_path / "migrations"
    shutil.copytree(_migrations("reporting"), migrations, ignore=shutil.ignore_patterns("__pycache__"))
    [head] = ScriptDirectory(str(migrations)).get_heads()
    assert new_revision(postgres_url, migrations, "nothing to do") == []  # no empty file either
    added = Table(
        "generated_probe",
        metadata,
        Column("probe_id", String(36), primary_key=True),
        Column("at", UtcDateTime(), nullable=False),
        Index("ix_generated_probe_at", "at", postgresql_where=text("at IS NOT NULL")),
    )
    try:
        with pytest.raises(SchemaDiffers, match="generated_probe"):
            check_schema(postgres_url, migrations)
        [written] = new_revision(postgres_url, migrations, "a generated probe")
        assert written.name == f"{int(head) + 1:04d}_a_generated_probe.py"
        source = written.read_text()
        assert "op.create_table(" in source
        assert "gsi_kernel.store.types.UtcDateTime(" in source
        assert 'postgresql_where=sa.text("at IS NOT NULL")' in source
        check_schema(postgres_url, migrations)
    finally:
        metadata.remove(added)
