"""The types every text field of every request is declared with, so that :mod:`gsi_kernel.text`'s
rule runs on each before anything else sees it (and a test checks that no field is a bare
``str``); the formats a field may have, each with the sentence that tells a person what is
expected; and a field's label, in French and English, where the common table has none.

Blank text: a required field refuses it (``text.blank``); an optional field declared ``X | None``
refuses it too (when given, the value must be real: a correction cannot blank a description);
the ``Maybe*`` fields take it as absent (``None``): what a person expects of an empty optional
box (no notes, no filter); ``ClearableLines`` takes it as ``""``, "clear the value", where an
update documents it. (The ``Maybe*`` types take their length limits from the model field's
``Field(...)``; a FastAPI parameter would apply them to ``None``: parameters use ``X | None``.)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any

from pydantic import EmailStr, Field, GetCoreSchemaHandler
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from gsi_kernel.text import TextKind, TextRefused, check_document, clean


class Blank(Enum):
    REFUSE = "refuse"
    NONE = "none"
    EMPTY = "empty"


@dataclass(frozen=True)
class TextRule:
    """Pydantic metadata: the text rule of ``kind`` before the field's own validation (its
    length limits and format then see the trimmed text)."""

    kind: TextKind
    blank: Blank = Blank.REFUSE

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_before_validator_function(self.validate, handler(source))

    def validate(self, value: Any) -> Any:
        try:
            if self.kind is TextKind.DOCUMENT:
                check_document(value)
                return value
            if not isinstance(value, str):
                return value  # the field's own type says what it expected
            cleaned = clean(value, self.kind)
        except TextRefused as refused:
            raise PydanticCustomError(
                refused.code,
                "refused character {character} at {position}",
                {"character": refused.character, "position": refused.position},
            ) from None
        if cleaned:
            return cleaned
        if self.blank is Blank.REFUSE:
            raise PydanticCustomError("text.blank", "blank text")
        return None if self.blank is Blank.NONE else ""


Line = Annotated[str, TextRule(TextKind.LINE)]
Lines = Annotated[str, TextRule(TextKind.LINES)]
Name = Annotated[str, TextRule(TextKind.NAME)]
MaybeLine = Annotated[str | None, TextRule(TextKind.LINE, Blank.NONE)]
MaybeLines = Annotated[str | None, TextRule(TextKind.LINES, Blank.NONE)]
MaybeName = Annotated[str | None, TextRule(TextKind.NAME, Blank.NONE)]
ClearableLines = Annotated[str | None, TextRule(TextKind.LINES, Blank.EMPTY)]
Email = Annotated[EmailStr, TextRule(TextKind.LINE)]
Document = Annotated[dict[str, Any], TextRule(TextKind.DOCUMENT)]
"""Free JSON data (a rule set, a catalogue, a notice's sample data): every key and string at any
depth checked, nothing changed."""


def label(fr: str, en: str) -> dict[str, Any]:
    """A field's label, for ``Field(json_schema_extra=...)``: the name of the field in the error
    messages (and in the OpenAPI document, ``x-label``), where the common table has none."""
    return {"x-label": {"fr": fr, "en": en}}


@dataclass(frozen=True)
class Format:
    """What a pattern-constrained field expects, said to a person."""

    code: str
    pattern: str
    fr: str
    en: str

    def hint(self) -> dict[str, Any]:
        return {"x-hint": {"code": self.code, "fr": self.fr, "en": self.en}}


REGION = Format("region.format", r"^[0-9]{2}$", "deux chiffres, de 01 à 17", "two digits, 01 to 17")
QUARTER = Format(
    "quarter.format",
    r"^[0-9]{4}-[0-9]{4}-Q[1-4]$",
    "un trimestre d'exercice, par exemple 2026-2027-Q3",
    "a fiscal quarter, e.g. 2026-2027-Q3",
)
FISCAL_YEAR = Format(
    "fiscal_year.format",
    r"^[0-9]{4}-[0-9]{4}$",
    "un exercice financier, par exemple 2026-2027",
    "a fiscal year, e.g. 2026-2027",
)
INTERVENTION_CODE = Format(
    "intervention_code.format",
    r"^[A-Z]{3}$",
    "trois lettres majuscules, par exemple SUI",
    "three capital letters, e.g. SUI",
)
VOLET = Format("volet.format", r"^V[1-5]$", "de V1 à V5", "V1 to V5")
CHECK = Format("check.format", r"^C[1-8]$", "de C1 à C8", "C1 to C8")
COUNTRY = Format(
    "country.format",
    r"^[A-Z]{2}$",
    "deux lettres majuscules (code ISO 3166-1), par exemple SY",
    "two capital letters (ISO 3166-1 code), e.g. SY",
)
POSTAL_CODE = Format(
    "postal_code.format",
    r"^[A-Za-z][0-9][A-Za-z] ?[0-9][A-Za-z][0-9]$",
    "un code postal canadien, par exemple J1H 1N9",
    "a Canadian postal code, e.g. J1H 1N9",
)
PROJECTION = Format(
    "projection.format",
    r"^[\w.\-]+$",
    "un nom de vue : lettres, chiffres, « . », « _ » ou « - »",
    "a projection name: letters, digits, '.', '_' or '-'",
)
FORMATS: dict[str, Format] = {
    f.pattern: f
    for f in (REGION, QUARTER, FISCAL_YEAR, INTERVENTION_CODE, VOLET, CHECK, COUNTRY, POSTAL_CODE, PROJECTION)
}
"""The formats shared by the services, by pattern: the error handler finds a refused value's
sentence here, unless the field has its own (``x-hint``: ``Field(json_schema_extra=f.hint())``);
a test checks that every pattern of every request field has one or the other."""


def _pattern(f: Format) -> Any:
    return Field(pattern=f.pattern, json_schema_extra=f.hint())


Region = Annotated[str, TextRule(TextKind.LINE), _pattern(REGION)]
Quarter = Annotated[str, TextRule(TextKind.LINE), _pattern(QUARTER)]
FiscalYear = Annotated[str, TextRule(TextKind.LINE), _pattern(FISCAL_YEAR)]
InterventionCode = Annotated[str, TextRule(TextKind.LINE), _pattern(INTERVENTION_CODE)]
VoletCode = Annotated[str, TextRule(TextKind.LINE), _pattern(VOLET)]
CheckCode = Annotated[str, TextRule(TextKind.LINE), _pattern(CHECK)]
CountryCode = Annotated[str, TextRule(TextKind.LINE), _pattern(COUNTRY)]
PostalCode = Annotated[str, TextRule(TextKind.LINE), _pattern(POSTAL_CODE)]
ProjectionName = Annotated[str, TextRule(TextKind.LINE), _pattern(PROJECTION)]
