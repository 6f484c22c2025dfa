"""Bytes ↔ rows of cells for the bulk import: recognising CSV and XLSX by their content, decoding
CSV as the organizations' tools write it, streaming XLSX rows, and writing CSV / XLSX files.

Knows nothing of the interventions' columns (see :mod:`.import_file`). Every
file-level problem raises a :mod:`gsi_kernel.errors` exception; nothing here reads a whole XLSX
sheet into memory.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from gsi_kernel.errors import GsiError, InvalidInput, UnsupportedMediaType

Cells = Sequence[object]
ZIP_BOMB_RATIO = 10  # uncompressed members may weigh at most this many times the upload limit
_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, and Excel's password-protected .xlsx
_BINARY = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"{\\rtf")
_SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of bytes UTF-8 rejects
_SEPARATORS = (";", ",", "\t")  # on a tie, French Excel's ";" wins
_INJECTION = ("=", "+", "-", "@", "\t", "\r")


def unreadable(fr: str, en: str, **details: Any) -> InvalidInput:
    return InvalidInput(
        "import.unreadable_file",
        f"Fichier illisible : {fr}",
        f"Unreadable file: {en}",
        details=details,
    )


def _unsupported(fr: str, en: str) -> UnsupportedMediaType:
    return UnsupportedMediaType(
        "import.unsupported_format",
        f"Format non pris en charge : {fr} Enregistrez le fichier en CSV ou en XLSX.",
        f"Unsupported format: {en} Save the file as CSV or XLSX.",
    )


def sniff(filename: str, content: bytes) -> str:
    """``"csv"`` or ``"xlsx"`` from the bytes themselves; the name only makes a non-workbook
    named ``.xlsx`` an error rather than a CSV."""
    if content.startswith(_ZIP):
        return "xlsx"
    if content.startswith(_OLE2):
        if "EncryptionInfo".encode("utf-16-le") in content:
            raise unreadable(
                "le classeur est protégé par un mot de passe.", "the workbook is password-protected."
            )
        raise _unsupported("ancien classeur Excel (.xls).", "old Excel workbook (.xls).")
    if filename.lower().endswith(_SPREADSHEET_SUFFIXES):
        raise _unsupported(
            f"« {filename} » n'est pas un classeur XLSX valide.",
            f"“{filename}” is not a valid XLSX workbook.",
        )
    utf16 = content.startswith((b"\xff\xfe", b"\xfe\xff"))
    if content.startswith(_BINARY) or (not utf16 and b"\x00" in content):  # NUL: never in text
        raise _unsupported("ce fichier n'est pas du texte.", "this file is not text.")
    return "csv"


def blank(cells: Cells) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


# --- CSV -------------------------------------------------------------------------------------


def decode_text(content: bytes) -> tuple[str, bool]:
    """The text, and whether some of its bytes could not be decoded (they are then kept as
    surrogates, found per row by :func:`undecodable`)."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's « Texte Unicode » export
        try:
            return content.decode("utf-16"), False
        except UnicodeDecodeError as exc:
            raise unreadable("texte UTF-16 invalide.", "invalid UTF-16 text.") from exc
    content = content.removeprefix(b"\xef\xbb\xbf")
    try:
        return content.decode("utf-8"), False
    except UnicodeDecodeError:
        pass
    # Excel on Windows writes Windows-1252: trust it when the result looks like text, and unless
    # the file also holds UTF-8 accents (a mixed file would silently turn them into "Ã©")
    if not _UTF8_MULTIBYTE.search(content):
        try:
            text = content.decode("cp1252")
            if not _CONTROL.search(text):
                return text, False
        except UnicodeDecodeError:
            pass
    return content.decode("utf-8", errors="surrogateescape"), True


def undecodable(cells: Cells) -> str | None:
    """The row's text with its undecodable bytes shown as ``\\xNN``, or None if it has none."""
    joined = " | ".join(c for c in cells if isinstance(c, str))
    if not _UNDECODABLE.search(joined):
        return None
    return joined.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def separator(text: str) -> str:
    """The header line's most frequent of ; , and tab."""
    start = 0
    while (end := text.find("\n", start)) >= 0 and not text[start:end].strip():  # leading blank lines
        start = end + 1
    header = text[start:] if end < 0 else text[start:end]
    return max(_SEPARATORS, key=header.count)


def csv_rows(text: str) -> Iterator[tuple[int, Cells]]:
    """(row number as a spreadsheet shows it, cells); a quoted newline stays inside its row."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator(text), strict=True)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells
    except csv.Error as exc:
        raise unreadable(
            f"CSV mal formé à la ligne {number + 1} (guillemet non fermé ou valeur trop longue).",
            f"malformed CSV at row {number + 1} (unclosed quote or value too long).",
            row=number + 1,
        ) from exc


# --- XLSX ------------------------------------------------------------------------------------


def _check_archive(content: bytes, max_bytes: int) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise unreadable("archive XLSX corrompue.", "corrupted XLSX archive.") from exc
    if "xl/workbook.xml" not in {m.filename for m in members}:
        raise _unsupported(
            "archive ZIP qui n'est pas un classeur XLSX.", "a ZIP archive, not an XLSX workbook."
        )
    if any(m.flag_bits & 0x1 for m in members):
        raise unreadable("archive chiffrée.", "encrypted archive.")
    # zipfile never inflates a member past its declared size, so the directory's sizes bound it
    if sum(m.file_size for m in members) > ZIP_BOMB_RATIO * max_bytes:
        raise unreadable(
            "contenu décompressé démesuré (bombe de décompression ?).",
            "uncompressed content far too large (zip bomb?).",
        )


def xlsx_rows(content: bytes, max_bytes: int) -> Iterator[tuple[int, Cells]]:
    """The first sheet's rows as values, streamed; a formula cell's value starts with "="."""
    _check_archive(content, max_bytes)
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except GsiError:
        raise
    except Exception as exc:  # openpyxl raises anything at all on a malformed workbook
        raise unreadable("classeur XLSX invalide.", "invalid XLSX workbook.") from exc
    try:
        if not book.worksheets:
            return
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # some tools write a wrong <dimension>: read the actual cells
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
    except GsiError:
        raise
    except Exception as exc:
        raise unreadable("feuille XLSX invalide.", "invalid XLSX sheet.") from exc
    finally:
        book.close()


# --- writing ---------------------------------------------------------------------------------


def neutralized(value: str) -> str:
    """A text a spreadsheet will show as text, never run as a formula (OWASP CSV injection)."""
    return "'" + value if value.startswith(_INJECTION) else value


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with a BOM and ";" — what French Excel opens correctly with a double-click."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(
        ["" if v is None else neutralized(v) if isinstance(v, str) else v for v in r] for r in rows
    )
    return buffer.getvalue().encode("utf-8-sig")


def _text_cell(sheet: Any, value: object) -> object:
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=_CONTROL.sub("", value))
    cell.data_type = "s"  # a value starting with "=" stays text, never a formula
    return cell


def write_xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """One sheet, streamed (an error report may have 100,000 lines)."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    for index, name in enumerate(header, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(name) + 4)
    sheet.append([_text_cell(sheet, name) for name in header])
    for row in rows:
        sheet.append([_text_cell(sheet, v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_template_xlsx(
    header: Sequence[str],
    example: Sequence[object],
    choices: Mapping[int, Sequence[str]],
    help_title: str,
    help_rows: Sequence[Sequence[str]],
) -> bytes:
    """The data sheet (header, one example row, drop-down lists) and a help sheet."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.title = "Interventions"
    sheet.append(list(header))
    sheet.append([v for v in example])
    for index, name in enumerate(header, start=1):
        letter = get_column_letter(index)
        sheet[f"{letter}1"].font = Font(bold=True)
        sheet.column_dimensions[letter].width = max(14, len(name) + 4)
        value = example[index - 1]
        if isinstance(value, date | datetime):
            sheet[f"{letter}2"].number_format = "yyyy-mm-dd"
        if index - 1 in choices:
            listing = DataValidation(type="list", formula1='"' + ",".join(choices[index - 1]) + '"')
            listing.add(f"{letter}2:{letter}100000")
            sheet.add_data_validation(listing)
    sheet.freeze_panes = "A2"
    helper = book.create_sheet(help_title)
    for row in help_rows:
        helper.append(list(row))
    for index in range(1, len(help_rows[0]) + 1):
        helper.cell(row=1, column=index).font = Font(bold=True)
        helper.column_dimensions[get_column_letter(index)].width = 40 if index > 2 else 20
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
