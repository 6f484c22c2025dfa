"""The table a consuming service keeps an effective-dated book's published versions in (the
eligibility rule sets, the intervention catalogues): one row per program and version, with the
whole document, read back with :meth:`gsi_kernel.dated_book.DatedBook.with_published`."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, MetaData, String, Table


def published_versions_table(name: str, metadata: MetaData) -> Table:
    """The table ``name`` on the service's metadata."""
    return Table(
        name,
        metadata,
        Column("program", String(20), primary_key=True),
        Column("version", String(40), primary_key=True),
        Column("effective_from", Date, nullable=False),
        Column("document", JSON, nullable=False),
    )
