"""French that agrees with the name it is put before.

« de » before a name, as written French does it (every French text of notifications puts an
organization's name after « de » this way):

- elided before a vowel or a mute h: « le rapport d'Accueil Montréal », « d'Hochelaga »;
- contracted with the name's own article: « Le Carrefour… » → « du Carrefour… », « Les
  Services… » → « des Services… », « L'Accueil… » → « de l'Accueil… »; « La Maison… » stays
  « de La Maison… »;
- otherwise « de Sherbrooke ».

An h is taken as mute when an accented vowel follows it (« Hébertville ») or the word is one of
a few common French words with a mute h; names from other languages keep their h aspirated
(« de Hull », « de Huntingdon »).
"""

from __future__ import annotations

import re
import unicodedata

_VOWELS = frozenset("aeiouy")
_MUTE_H_WORDS = frozenset(
    {
        "habitat", "habitation", "habitations", "habitants", "haïtien", "haïtienne", "harmonie",
        "hébergement", "héritage", "heure", "hirondelle", "histoire", "hiver", "hochelaga",
        "homme", "hommes", "honneur", "hôpital", "horizon", "horizons", "hospitalité", "hôtel",
        "huile", "humain", "humanité", "humanitaire",
    }
)  # fmt: skip
_ARTICLE = re.compile(r"^(?:(les|le)\s+|(l)['’]\s*)(?=\S)", re.IGNORECASE)


def split_de(name: str) -> tuple[str, str]:
    """« de » as it goes before ``name``, and the name after it: ("d'", "Accueil Montréal")."""
    name = " ".join(name.split())
    article = _ARTICLE.match(name)
    if article:
        rest = name[article.end() :]
        word = (article.group(1) or article.group(2)).lower()
        return {"les": ("des ", rest), "le": ("du ", rest)}.get(word, ("de l'", rest))
    return ("d'" if _elides(name) else "de ", name)


def de(name: str) -> str:
    """« de » and the name: de("Accueil Montréal") → « d'Accueil Montréal »."""
    particle, rest = split_de(name)
    return particle + rest


def _elides(name: str) -> bool:
    first_word = name.split(" ", 1)[0].split("-", 1)[0].lower()
    bare = _without_accents(first_word)
    if not bare:
        return False
    if bare[0] in _VOWELS:
        return True
    if bare[0] != "h" or len(first_word) < 2:
        return False
    return first_word in _MUTE_H_WORDS or first_word[1] in "éèêëàâîïôöûùü"


def _without_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
