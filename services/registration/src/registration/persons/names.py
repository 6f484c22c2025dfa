"""How names compare: the one normalization that name search and duplicate detection share.

Case, accents, punctuation (apostrophes, hyphens, dots…) and spacing do not count: "O'Brien",
"OBrien", "O Brien" and "o-brien" are the same name. A name is cut into parts at every
separator, and the parts are compared joined ("obrien"), so a person typing the name with
or without its punctuation finds the same file, and two files differing only by it are
duplicates.

- search: each of a person's names yields one key per part, the name from that part to its end
  ("O'Brien-Tremblay" → "obrientremblay", "brientremblay", "tremblay"); a searched word
  matches a person when it starts one of these keys ("obrien", "brien", "tremblay",
  "o'brien-t" all find O'Brien-Tremblay);
- duplicates: the names as joined parts, in sorted order (the order of the names does not
  count either), compared with a fuzzy ratio;
- sorting: the parts separated by single spaces ("o brien tremblay").
"""

from __future__ import annotations

import re
import unicodedata

# Anything that is neither a letter nor a digit (in any script) separates the parts of a name.
_SEPARATORS = re.compile(r"[\W_]+")


def name_parts(text: str) -> list[str]:
    """Lower case, no accents, cut at every separator: "Marie-Ève O'Neil" → marie, eve, o, neil."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return [part for part in _SEPARATORS.split(bare) if part]


def normalize(text: str) -> str:
    """The parts separated by single spaces (the sort key): "Marie-Ève O'Neil" → "marie eve o neil"."""
    return " ".join(name_parts(text))


def compact(text: str) -> str:
    """The parts joined, as names compare: "O'Brien-Tremblay" → "obrientremblay"."""
    return "".join(name_parts(text))


def search_keys(*names: str) -> list[str]:
    """The keys a person is found by: for each name, the name from each of its parts on."""
    keys: set[str] = set()
    for name in names:
        parts = name_parts(name)
        keys.update("".join(parts[start:]) for start in range(len(parts)))
    return sorted(keys)


def search_words(query: str) -> list[str]:
    """The words of a search, each compared joined: "o'brien tre" → "obrien", "tre". Words are
    separated by spaces only, so that a hyphen or an apostrophe typed in a word is ignored."""
    return [word for word in (compact(w) for w in query.split()) if word]


def name_key(family_name: str, given_name: str) -> str:
    """The names as duplicates compare them: joined parts, sorted, so "Haddad Amina" and
    "Amina HADDAD" are equal, and so are "O'Brien" and "OBrien"."""
    return " ".join(sorted(key for key in (compact(family_name), compact(given_name)) if key))
