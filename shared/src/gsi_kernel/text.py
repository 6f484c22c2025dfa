"""One rule for the text people send, in every field of every service: what PostgreSQL, a JSON
reader or a person on the other end cannot take is refused, and what is kept is normalized.

Refused everywhere (:class:`TextRefused`, with a stable code):

- ``text.control_character``: the C0 and C1 control characters (U+0000–U+001F, U+007F–U+009F),
  except tab and line breaks in a multi-line field; in a one-line field the line and paragraph
  separators (U+2028, U+2029) too; and the invisible characters that only ever deceive a reader:
  the bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069, the "Trojan source"
  characters) and the byte-order mark U+FEFF. Other format characters stay: zero-width joiners
  are part of Persian, Indic and emoji text, and left-to-right/right-to-left marks of mixed text.
- ``text.unpaired_surrogate``: a UTF-16 half (U+D800–U+DFFF) — a JSON ``"\\ud800"`` decodes to
  one, and no database or UTF-8 writer can store it.
- ``text.noncharacter``: the 66 code points Unicode reserves never to be characters (U+FDD0–U+FDEF,
  U+FFFE, U+FFFF and the last two of every plane).

Kept text is trimmed and in Unicode NFC (so that "é" typed two ways is one name); a multi-line
field's line breaks become ``\\n`` (CR LF, CR, U+2028, U+2029); a name's inner whitespace is one
space. Blank text comes back as ``""``: whether that is refused or taken as "absent" is the
field's choice (:mod:`gsi_kernel.fields`). Private-use and unassigned code points pass: Unicode
assigns new characters every year, and refusing them would refuse tomorrow's names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any


class TextKind(StrEnum):
    LINE = "line"  # one line: an id, a code, a title, a filter
    LINES = "lines"  # several lines: notes, descriptions, reasons (tab and line breaks allowed)
    NAME = "name"  # a person's or an organization's name: one line, inner whitespace collapsed
    DOCUMENT = "document"  # free JSON data (a rule set, a catalogue): checked, never changed


_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
_INVISIBLE = "\u202a-\u202e\u2066-\u2069\ufeff"
_SURROGATES = "\ud800-\udfff"
# What no field takes; a one-line field takes no tab or line break either.
_MULTI_LINE_REFUSED = re.compile(
    f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_INVISIBLE}{_SURROGATES}{_NONCHARACTERS}]"
)
_ONE_LINE_REFUSED = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_INVISIBLE}{_SURROGATES}{_NONCHARACTERS}]")
_LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029]")
_NONCHARACTER = re.compile(f"[{_NONCHARACTERS}]")


class TextRefused(ValueError):
    """Text the rule refuses: ``code`` says why, ``character`` which (``U+0000``) and where."""

    def __init__(self, code: str, character: str, position: int) -> None:
        super().__init__(f"{code}: {character} at {position}")
        self.code = code
        self.character = character
        self.position = position


def clean(text: str, kind: TextKind = TextKind.LINE) -> str:
    """``text`` normalized for a field of this kind, or :class:`TextRefused`. Blank text gives
    ``""``. (A :attr:`TextKind.DOCUMENT` string is checked as multi-line and returned as is.)"""
    multi_line = kind in (TextKind.LINES, TextKind.DOCUMENT)
    if multi_line:
        text = _LINE_BREAKS.sub("\n", text)
    refuse_forbidden(text, multi_line=multi_line)
    if kind is TextKind.DOCUMENT:
        return text
    text = text.strip()
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split()) if kind is TextKind.NAME else text


def refuse_forbidden(text: str, *, multi_line: bool = False) -> None:
    """Raise :class:`TextRefused` for the first character the rule forbids in ``text``."""
    found = (_MULTI_LINE_REFUSED if multi_line else _ONE_LINE_REFUSED).search(text)
    if found is None:
        return
    character = found.group()
    raise TextRefused(_reason(character), f"U+{ord(character):04X}", found.start())


def _reason(character: str) -> str:
    if "\ud800" <= character <= "\udfff":
        return "text.unpaired_surrogate"
    if _NONCHARACTER.match(character):
        return "text.noncharacter"
    return "text.control_character"


def check_document(value: Any) -> None:
    """Every key and string of a JSON value, at any depth, checked as multi-line text (a rule
    set or a catalogue may hold paragraphs); raises :class:`TextRefused` for the first refused."""
    if isinstance(value, str):
        refuse_forbidden(_LINE_BREAKS.sub("\n", value), multi_line=True)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str):
                refuse_forbidden(key)
            check_document(item)
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        for item in value:
            check_document(item)
