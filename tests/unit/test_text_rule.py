"""The one text rule (issue 17 §1): what every text field refuses and how it normalizes what it
keeps — and the pydantic types that put it on a field, with their answer to blank text."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError

from gsi_kernel.fields import ClearableLines, Document, Line, Lines, MaybeLines, Name, Region
from gsi_kernel.text import TextKind, TextRefused, check_document, clean

CONTROLS = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0))]
INVISIBLE = [
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\ufeff",
]
NONCHARACTERS = [
    *(chr(c) for c in range(0xFDD0, 0xFDF0)),
    *(chr(plane * 0x10000 + last) for plane in range(17) for last in (0xFFFE, 0xFFFF)),
]


def refusal(text: str, kind: TextKind = TextKind.LINE) -> tuple[str, str, int]:
    with pytest.raises(TextRefused) as refused:
        clean(text, kind)
    return refused.value.code, refused.value.character, refused.value.position


@pytest.mark.parametrize("kind", list(TextKind))
def test_every_control_character_but_tab_and_line_breaks_is_refused_in_every_kind(kind: TextKind) -> None:
    for character in CONTROLS + INVISIBLE:
        assert refusal(f"ab{character}", kind) == ("text.control_character", f"U+{ord(character):04X}", 2)


@pytest.mark.parametrize("kind", list(TextKind))
def test_unpaired_surrogates_and_noncharacters_are_refused_in_every_kind(kind: TextKind) -> None:
    assert refusal("a\ud800", kind)[0] == "text.unpaired_surrogate"
    assert refusal("\udfffa", kind)[:2] == ("text.unpaired_surrogate", "U+DFFF")
    assert len(NONCHARACTERS) == 66
    for character in NONCHARACTERS:
        assert refusal(f"x{character}", kind)[0] == "text.noncharacter"


@pytest.mark.parametrize("kind", [TextKind.LINE, TextKind.NAME])
def test_one_line_refuses_tab_and_every_line_break(kind: TextKind) -> None:
    for character in ("\t", "\n", "\r", "\u2028", "\u2029", "\x85"):
        assert refusal(f"a{character}b", kind)[0] == "text.control_character"


def test_several_lines_keep_tab_and_turn_every_line_break_into_lf() -> None:
    assert clean(" un\r\ndeux\rtrois\u2028quatre\u2029\tcinq \n", TextKind.LINES) == (
        "un\ndeux\ntrois\nquatre\n\tcinq"
    )


def test_kept_text_is_trimmed_in_nfc_and_a_names_spaces_are_collapsed() -> None:
    assert clean("  e\u0301te\u0301 \u00a0") == "\u00e9t\u00e9"
    assert clean("  Marie-\u00c8ve   \u00a0 de  la\u3000Cruz ", TextKind.NAME) == "Marie-\u00c8ve de la Cruz"
    assert clean("deux  espaces", TextKind.LINE) == "deux  espaces"  # only names are collapsed
    assert clean(" \t ", TextKind.LINES) == ""


def test_what_people_write_passes() -> None:
    for text in (
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian, with its zero-width non-joiner
        "Nguy\u1ec5n Th\u1ecb",
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # a family emoji, joined
        "\u202fà l'heure\u200e",  # narrow no-break space, left-to-right mark
        "\ue000\U000f0000",  # private use
    ):
        assert clean(text, TextKind.NAME) == text.strip()


def test_a_document_is_checked_at_every_depth_and_left_as_is() -> None:
    document: dict[str, Any] = {"a": [" keep  spaces ", {"b": "ligne\nligne"}], "n": 1}
    check_document(document)
    assert document["a"][0] == " keep  spaces "
    with pytest.raises(TextRefused):
        check_document({"a": [{"b": "x\x00"}]})
    with pytest.raises(TextRefused):
        check_document({"cl\u00e9\ud800": 1})  # keys too
    with pytest.raises(TextRefused):
        check_document({"cl\u00e9\n": 1})  # a key is one line


class Form(BaseModel):
    name: Name = Field(max_length=12)
    reason: Lines = Field(min_length=3, max_length=20)
    notes: MaybeLines = Field(default=None, max_length=5)
    note: ClearableLines = Field(default=None, max_length=5)
    title: Line | None = Field(default=None, max_length=5)
    region: Region | None = None
    data: Document | None = None


def errors(**fields: Any) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as refused:
        Form.model_validate({"name": "Amina", "reason": "Motif", **fields})
    return [(e["loc"], e["type"]) for e in refused.value.errors()]


def test_the_types_run_the_rule_before_the_fields_limits() -> None:
    form = Form.model_validate({"name": "  Amina   Haddad ", "reason": "   Motif valable   "})
    assert (form.name, form.reason) == ("Amina Haddad", "Motif valable")  # 12 and 13 once trimmed
    assert errors(reason="  ab  ") == [(("reason",), "string_too_short")]
    assert errors(name="A\x00") == [(("name",), "text.control_character")]
    assert errors(data={"k": ["\x00"]}) == [(("data",), "text.control_character")]
    assert errors(region=" 5 ") == [(("region",), "string_pattern_mismatch")]
    assert Form.model_validate({"name": "A", "reason": "Motif", "region": " 05 "}).region == "05"


def test_blank_is_refused_or_absent_or_cleared_as_the_field_says() -> None:
    assert errors(name=" ") == [(("name",), "text.blank")]
    assert errors(title="  ") == [(("title",), "text.blank")]  # given, it must be real
    form = Form.model_validate({"name": "A", "reason": "Motif", "notes": " \n ", "note": "  "})
    assert (form.notes, form.note, form.title) == (None, "", None)
    form = Form.model_validate({"name": "A", "reason": "Motif", "notes": None, "note": None})
    assert (form.notes, form.note) == (None, None)
    assert errors(notes=" 123456 ") == [(("notes",), "string_too_long")]
    assert errors(name=12) == [(("name",), "string_type")]
