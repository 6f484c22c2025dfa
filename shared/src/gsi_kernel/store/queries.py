"""Query helpers every read side uses: organization scoping and pagination."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from gsi_kernel.auth import Principal, Role, readable_organizations
from gsi_kernel.store.database import Database


def scoped_to_principal(
    query: Select[Any], organization_column: ColumnElement[str], principal: Principal
) -> Select[Any]:
    """Only rows of organizations the principal may read (everything for an admin)."""
    if Role.ADMIN in principal.roles:
        return query
    return query.where(organization_column.in_(readable_organizations(principal)))


def fetch_page(
    db: Database, query: Select[Any], *order_by: ColumnElement[Any], offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of ``query`` in a stable order, and the total number of rows."""
    with db.transaction() as connection:
        total = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = connection.execute(query.order_by(*order_by).offset(offset).limit(limit)).all()
    return [dict(r._mapping) for r in rows], int(total)


def fetch_one(db: Database, query: Select[Any]) -> dict[str, Any] | None:
    with db.transaction() as connection:
        row = connection.execute(query).first()
    return dict(row._mapping) if row is not None else None
