"""Searching persons: a filtered, name-ordered page and its exact total.

A search by name alone (with, or without, a registration-date range) is answered from the name
tokens: each token row carries the person's sort keys, organization and registration time, so
a broad prefix ("gag", 10 % of the persons) is counted and paged in the token index, and only
the page's persons are read (ADR 10). Any other filter goes through the persons table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select

from gsi_kernel.auth import Principal
from gsi_kernel.clock import MONTREAL
from gsi_kernel.store.database import Database
from gsi_kernel.store.queries import fetch_page, scoped_to_principal
from registration.persons.names import search_words
from registration.tables import name_tokens, persons

ORDER = (persons.c.family_norm, persons.c.given_norm, persons.c.person_id)


@dataclass(frozen=True, slots=True)
class SearchFilters:
    name: str | None = None
    uci_hash: str | None = None
    status: str | None = None
    region: str | None = None
    eligible_for: str | None = None  # a volet: eligible for it at the last evaluation
    registered_from: date | None = None
    registered_to: date | None = None
    file_number: int | None = None
    person_ids: tuple[str, ...] = ()  # these persons only (a page of another service's list)

    def words(self) -> list[str]:
        """The name's words, normalised as names compare (no accent, case, punctuation: no
        ``%`` nor ``_`` either); each must start one of the person's search keys."""
        return search_words(self.name or "")

    def by_name_only(self) -> bool:
        others = (self.uci_hash, self.status, self.region, self.eligible_for, self.file_number)
        return bool(self.words()) and not any(others) and not self.person_ids


def search(
    db: Database, principal: Principal, f: SearchFilters, *, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    if f.by_name_only():
        return _by_tokens(db, principal, f, offset=offset, limit=limit)
    query = _filtered(scoped_to_principal(select(persons), persons.c.organization_id, principal), f)
    # An erased person is listed nowhere (their row stays, for the counts); by name, they have
    # no tokens left to be found by.
    query = query.where(persons.c.erased.is_(False))
    return fetch_page(db, query, *ORDER, offset=offset, limit=limit)


def _by_tokens(
    db: Database, principal: Principal, f: SearchFilters, *, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    t = name_tokens.c
    first, *others = f.words()
    matched: Select[Any] = select(t.person_id, t.family_norm, t.given_norm).where(t.token.like(f"{first}%"))
    matched = scoped_to_principal(matched, t.organization_id, principal)
    for word in others:
        matched = matched.where(t.person_id.in_(_starting(word)))
    if f.registered_from:
        matched = matched.where(t.registered_at >= _start_of(f.registered_from))
    if f.registered_to:
        matched = matched.where(t.registered_at < _day_after(f.registered_to))
    hits = matched.distinct().subquery()  # a person may have two tokens with the prefix
    page = (
        select(hits.c.person_id)
        .order_by(hits.c.family_norm, hits.c.given_norm, hits.c.person_id)
        .offset(offset)
        .limit(limit)
    )
    with db.transaction() as connection:
        total = connection.execute(select(func.count()).select_from(hits)).scalar_one()
        rows = connection.execute(select(persons).where(persons.c.person_id.in_(page)).order_by(*ORDER)).all()
    return [dict(r._mapping) for r in rows], int(total)


def _starting(word: str) -> Select[Any]:
    return select(name_tokens.c.person_id).where(name_tokens.c.token.like(f"{word}%"))


def _filtered(query: Select[Any], f: SearchFilters) -> Select[Any]:
    # Every word of the search must start one of the person's search keys ("mar tre" finds
    # Marie Tremblay, "obrien" O'Brien-Tremblay); each word is an index range scan on the tokens.
    for word in f.words():
        query = query.where(persons.c.person_id.in_(_starting(word)))
    if f.uci_hash:
        query = query.where(persons.c.uci_hash == f.uci_hash)
    if f.file_number:
        query = query.where(persons.c.file_number == f.file_number)
    if f.person_ids:
        query = query.where(persons.c.person_id.in_(f.person_ids))
    if f.status:
        query = query.where(persons.c.status == f.status)
    if f.region:
        query = query.where(persons.c.region == f.region)
    if f.eligible_for:
        query = query.where(persons.c[f"eligible_{f.eligible_for.lower()}"].is_(True))
    if f.registered_from:
        query = query.where(persons.c.registered_at >= _start_of(f.registered_from))
    if f.registered_to:
        query = query.where(persons.c.registered_at < _day_after(f.registered_to))
    return query


def _start_of(day: date) -> datetime:
    """Midnight in Montréal, the day registration dates are counted in."""
    return datetime(day.year, day.month, day.day, tzinfo=MONTREAL)


def _day_after(day: date) -> datetime:
    return _start_of(date.fromordinal(day.toordinal() + 1))
