"""Intervention catalogue versions, as a service keeps them to check with: the versions shipped
in ``gsi_conformity`` plus every version published since (interventions records its own
publications; reporting follows interventions' ``CataloguePublished``)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Connection, Date, MetaData, String, Table, select

from gsi_conformity import Catalogue, CatalogueBook, load_default_catalogue


def catalogue_table(metadata: MetaData) -> Table:
    """The ``catalogue_versions`` table, on the service's metadata (version 1 of its schema)."""
    return Table(
        "catalogue_versions",
        metadata,
        Column("program", String(20), primary_key=True),
        Column("version", String(40), primary_key=True),
        Column("effective_from", Date, nullable=False),
        Column("document", JSON, nullable=False),
    )


def catalogue_book(connection: Connection, table: Table) -> CatalogueBook:
    """The shipped versions and the published ones (a published copy of a shipped version once)."""
    shipped = list(load_default_catalogue())
    known = {(c.program, c.version) for c in shipped}
    published = [Catalogue.from_document(d) for d in connection.execute(select(table.c.document)).scalars()]
    return CatalogueBook([*shipped, *(c for c in published if (c.program, c.version) not in known)])
