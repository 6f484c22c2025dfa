"""Probable duplicates: normalisation and matching (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from registration.domain.duplicates import Identity, matches, name_key, normalize

BORN = date(1984, 3, 12)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Marie-Ève O'Neil", "marie eve o neil"),
        ("  ÉLODIE   Tremblay ", "elodie tremblay"),
        ("Nguyễn Văn An", "nguyen van an"),
        ("Ben–Ali", "ben ali"),
    ],
)
def test_normalize_drops_accents_case_and_separators(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_name_order_does_not_matter() -> None:
    assert name_key("Haddad", "Amina") == name_key("Amina", "HADDAD")


def identity(
    pid: str, family: str, given: str, born: date = BORN, sex: str = "F", uci: str | None = None
) -> Identity:
    return Identity(pid, name_key(family, given), born, sex, uci)


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        (identity("b", "HADDAD", "Amina"), "probable"),
        (identity("b", "Amina", "Haddad"), "probable"),
        (identity("b", "Hadad", "Amina"), "probable"),  # one letter off
        (identity("b", "Haddad", "Amina", born=date(1984, 3, 13)), None),
        (identity("b", "Haddad", "Amina", sex="M"), None),
        (identity("b", "Tremblay", "Julie"), None),
        (identity("b", "Tremblay", "Julie", born=date(1990, 1, 1), uci="h1"), "uci"),
    ],
)
def test_matches(other: Identity, expected: str | None) -> None:
    new = identity("a", "Haddad", "Amina", uci="h1")
    found = matches(new, [other])
    assert [m.match for m in found] == ([expected] if expected else [])


def test_a_person_never_matches_itself_and_best_matches_come_first() -> None:
    new = identity("a", "Haddad", "Amina", uci="h1")
    found = matches(new, [new, identity("b", "Hadad", "Amina"), identity("c", "x", "y", uci="h1")])
    assert [m.person_id for m in found] == ["c", "b"]
