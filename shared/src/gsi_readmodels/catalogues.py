"""Intervention catalogue versions, as a service keeps them to check with: the versions shipped
in ``gsi_conformity`` plus every version published since (interventions records its own
publications; reporting follows interventions' ``CataloguePublished``)."""

from __future__ import annotations

from sqlalchemy import Connection, MetaData, Table, select

from gsi_conformity import CatalogueBook, load_default_catalogue
from gsi_readmodels.books import published_versions_table


def catalogue_table(metadata: MetaData) -> Table:
    """The ``catalogue_versions`` table, on the service's metadata (version 1 of its schema)."""
    return published_versions_table("catalogue_versions", metadata)


def catalogue_book(connection: Connection, table: Table) -> CatalogueBook:
    """The shipped versions and the published ones (a published copy of a shipped version once)."""
    return load_default_catalogue().with_published(connection.execute(select(table.c.document)).scalars())
