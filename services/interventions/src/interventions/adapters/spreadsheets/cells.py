"""The import template's columns, and how one cell of each becomes a typed value or a
:class:`CellError` saying why not.

A cell is what the file gave: always ``str`` from a CSV; ``str``, ``int``, ``float``,
``datetime``, … or ``None`` from an XLSX. Parsers are ``(cell, column name) → value`` and know
nothing of the other columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from interventions.declarations.domain import Mode, Volet

MAX_MINUTES = 24 * 60
_FORMULA_START = ("=", "+", "-", "@")  # what a spreadsheet runs as a formula (CSV injection)
_NEGATIVE = re.compile(r"-\d+(?:[.,]\d*)?")
_WHOLE = re.compile(r"(\d{1,6})(?:[.,]0*)?")  # 60, and 60.0 / 60,0 as some tools write it
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # fromisoformat alone would also take 20260512
_CODE = re.compile(r"[A-Z]{3}")


class CellError(Exception):
    """A cell's problem: a stable code and a message in French and English."""

    def __init__(self, code: str, fr: str, en: str) -> None:
        super().__init__(code)
        self.code, self.fr, self.en = code, fr, en


def cell_text(value: object) -> str:
    """A cell as stripped text, "" when empty; a formula keeps its leading "="."""
    if isinstance(value, str):
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, ArrayFormula):
        return str(value.text)
    if isinstance(value, DataTableFormula):
        return "=TABLE()"
    return str(value)  # int, bool, date, time, timedelta


def shown(text: str) -> str:
    """A value quoted in a message: long ones are cut."""
    return text if len(text) <= 50 else text[:49] + "…"


def missing(column: str, why_fr: str = "", why_en: str = "") -> CellError:
    return CellError(
        "import.missing_value",
        f"Valeur obligatoire manquante ({column}){why_fr}.",
        f"Missing required value ({column}){why_en}.",
    )


def safe_text(raw: object) -> str:
    """The cell as text, refused when a spreadsheet would run it as a formula."""
    text = cell_text(raw)
    if text.startswith(_FORMULA_START):
        raise CellError(
            "import.formula",
            f"Valeur refusée « {shown(text)} » : une cellule ne peut pas commencer par = + - @ "
            "(formule) ; saisissez la valeur elle-même.",
            f"Rejected value “{shown(text)}”: a cell cannot start with = + - @ (formula); "
            "enter the value itself.",
        )
    return text


def optional_text(max_length: int) -> Callable[[object, str], str | None]:
    def parse(raw: object, _column: str) -> str | None:
        text = safe_text(raw)
        if len(text) > max_length:
            raise CellError(
                "import.too_long",
                f"Valeur trop longue ({len(text)} caractères, maximum {max_length}).",
                f"Value too long ({len(text)} characters, at most {max_length}).",
            )
        return text or None

    return parse


def required_text(max_length: int) -> Callable[[object, str], str]:
    optional = optional_text(max_length)

    def parse(raw: object, column: str) -> str:
        text = optional(raw, column)
        if text is None:
            raise missing(column)
        return text

    return parse


_short_text = required_text(100)  # a code, a date, a number: anything longer is wrong anyway


def code(raw: object, column: str) -> str:
    """Its shape only: whether the catalogue has it is checked by the import use case."""
    text = _short_text(raw, column).upper()
    if not _CODE.fullmatch(text):
        raise CellError(
            "import.bad_code",
            f"Code invalide « {shown(text)} » : trois lettres attendues (ex. ACC).",
            f"Invalid code “{shown(text)}”: three letters expected (e.g. ACC).",
        )
    return text


def iso_date(raw: object, column: str) -> date:
    """A native XLSX date cell, or text in ISO form: 12/05/2026 is ambiguous, so it is refused."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = _short_text(raw, column)
    if _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:  # 2026-02-30
            pass
    raise CellError(
        "import.bad_date",
        f"Date invalide « {shown(text)} » : format attendu AAAA-MM-JJ (ex. 2026-05-12).",
        f"Invalid date “{shown(text)}”: expected format YYYY-MM-DD (e.g. 2026-05-12).",
    )


def _bad_number(raw: object) -> CellError:
    text = shown(cell_text(raw))
    return CellError(
        "import.bad_number",
        f"Durée invalide « {text} » : nombre entier de minutes, de 1 à {MAX_MINUTES}.",
        f"Invalid duration “{text}”: a whole number of minutes, from 1 to {MAX_MINUTES}.",
    )


def duration(raw: object, column: str) -> int:
    """Minutes: a positive whole number (an XLSX number cell may hold 60.0)."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if isinstance(raw, float) and not raw.is_integer():
            raise _bad_number(raw)
        minutes = int(raw)
    else:
        if _NEGATIVE.fullmatch(cell_text(raw)):  # a wrong number, not an injection attempt
            raise _bad_number(raw)
        match = _WHOLE.fullmatch(_short_text(raw, column))
        if match is None:
            raise _bad_number(raw)
        minutes = int(match[1])
    if not 1 <= minutes <= MAX_MINUTES:
        raise _bad_number(raw)
    return minutes


def choice(allowed: Mapping[str, str]) -> Callable[[object, str], str]:
    """One of a fixed list, whatever its case; ``allowed`` maps the lower-cased form to the value."""
    listed = ", ".join(allowed.values())

    def parse(raw: object, column: str) -> str:
        text = _short_text(raw, column)
        value = allowed.get(text.lower())
        if value is None:
            raise CellError(
                "import.bad_choice",
                f"Valeur « {shown(text)} » non permise ; valeurs permises : {listed}.",
                f"Value “{shown(text)}” not allowed; allowed values: {listed}.",
            )
        return value

    return parse


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    required: bool
    fr: str
    en: str
    example: str


COLUMNS: tuple[Column, ...] = (
    Column(
        "person_id",
        True,
        "Identifiant GSI de la personne.",
        "The person's GSI identifier.",
        "0b7f3c1e-3f5a-4a43-9a57-0e6d8a1c2b11",
    ),
    Column(
        "code",
        True,
        "Code d'intervention à 3 lettres (ACC, EVB, PDI, SIC, SUI, REF…).",
        "3-letter intervention code (ACC, EVB, PDI, SIC, SUI, REF…).",
        "SIC",
    ),
    Column(
        "service_date",
        True,
        "Date de l'intervention, AAAA-MM-JJ (ou cellule date Excel).",
        "Date of the intervention, YYYY-MM-DD (or an Excel date cell).",
        "2026-05-12",
    ),
    Column(
        "duration_minutes",
        True,
        "Durée en minutes, entier de 1 à 1440.",
        "Duration in minutes, a whole number from 1 to 1440.",
        "90",
    ),
    Column(
        "mode",
        True,
        "in_person (en personne), remote (à distance) ou group (en groupe).",
        "in_person, remote or group.",
        "group",
    ),
    Column("volet", True, "Volet du programme, V1 à V5.", "Program component (volet), V1 to V5.", "V2"),
    Column(
        "staff_member",
        True,
        "Intervenant·e qui a rendu le service.",
        "Staff member who delivered the service.",
        "karine@org-sherbrooke",
    ),
    Column(
        "notes",
        False,
        "Remarques (facultatif).",
        "Remarks (optional).",
        "Séance d'information générale à l'hôtel de ville",
    ),
    Column(
        "target_organization",
        False,
        "Organisme vers lequel la personne est orientée (obligatoire pour REF).",
        "Organization the person is referred to (required for REF).",
        "Carrefour jeunesse-emploi",
    ),
    Column(
        "referral_reason",
        False,
        "Motif du référencement (obligatoire pour REF).",
        "Reason for the referral (required for REF).",
        "Recherche d'emploi",
    ),
    Column(
        "session_ref",
        False,
        "Séance de groupe : les lignes de même référence forment une séance.",
        "Group session: rows with the same reference form one session.",
        "SIC-2026-05-12-AM",
    ),
)
MODES = {m.value: m.value for m in Mode}
VOLETS = {v.value.lower(): v.value for v in Volet}
PARSERS: dict[str, Callable[[object, str], Any]] = {
    "person_id": required_text(36),
    "code": code,
    "service_date": iso_date,
    "duration_minutes": duration,
    "mode": choice(MODES),
    "volet": choice(VOLETS),
    "staff_member": required_text(200),
    "notes": optional_text(2000),
    "target_organization": optional_text(200),
    "referral_reason": optional_text(500),
    "session_ref": optional_text(100),
}
HELP_NOTES = (  # the help sheet's general rules, after the columns
    (
        "Une ligne par personne et par intervention ; la première ligne est l'en-tête.",
        "One row per person and intervention; the first row is the header.",
    ),
    (
        "Aucune formule : une valeur ne peut pas commencer par = + - @.",
        "No formulas: a value cannot start with = + - @.",
    ),
    (
        "CSV : UTF-8 (ou Windows-1252), séparateur ; , ou tabulation.",
        "CSV: UTF-8 (or Windows-1252), separator ; , or tab.",
    ),
)
