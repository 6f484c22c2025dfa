"""Probable duplicates: normalisation and matching (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from registration.duplicates.domain import Identity, matches, name_key, normalize
from registration.persons.names import compact, search_keys, search_words

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


# ---- one normalization for search and duplicates (registration.persons.names) ----------------


@pytest.mark.parametrize(
    "written", ["O'Brien-Tremblay", "OBrien Tremblay", "o brien-tremblay", "O’Brien–Tremblay"]
)
def test_punctuation_and_spacing_do_not_count_for_duplicates(written: str) -> None:
    assert name_key(written, "Siobhán") == name_key("O'Brien-Tremblay", "Siobhan")
    new = identity("a", "O'Brien-Tremblay", "Siobhan")
    assert [m.match for m in matches(new, [identity("b", written, "Siobhán")])] == ["probable"]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("obrien", True),
        ("O'Brien", True),
        ("brien", True),
        ("tremblay", True),
        ("o'brien-trem", True),
        ("O BRIEN", True),  # two words, each starting a key
        ("siob", True),
        ("rien", False),  # inside a part, not at its start
        ("tremblayo", False),
    ],
)
def test_a_search_word_finds_a_name_from_any_of_its_parts(query: str, found: bool) -> None:
    keys = search_keys("O'Brien-Tremblay", "Siobhán")
    assert keys == ["brientremblay", "obrientremblay", "siobhan", "tremblay"]
    words = search_words(query)
    assert bool(words)
    assert all(any(k.startswith(w) for k in keys) for w in words) is found


def test_search_and_duplicates_share_one_normalization() -> None:
    """Two spellings of a name find each other in search and are the same name for duplicates."""
    for a, b in [("D'Amours", "Damours"), ("Marie-Ève", "Marie Eve"), ("St. Pierre", "St-Pierre")]:
        for one, other in ((a, b), (b, a)):
            assert all(any(k.startswith(w) for k in search_keys(other)) for w in search_words(one))
        assert compact(a) == compact(b)
        assert name_key(a, "X") == name_key(b, "X")


def test_names_in_other_scripts_keep_their_letters() -> None:
    assert search_keys("محمد") == ["محمد"]
    assert normalize("Nguyễn-Văn") == "nguyen van"
    assert search_words("%_ ") == []  # nothing a LIKE pattern could use
