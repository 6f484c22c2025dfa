"""Interventions bulk import, the file side: an uploaded CSV or XLSX → typed rows and per-row
errors, plus the downloadable template and the error report — the adapter behind the import's
port, :class:`interventions.imports.files.ImportFiles` (:class:`Spreadsheets`).

Pure (bytes in, values out). Only the file's own rules are checked here — types, formats, fixed
lists, duplicates inside the file; whether a person, a code or an agreement exists is the import
use case's business. A file-level problem raises a :mod:`gsi_kernel.errors` exception and
nothing is parsed; a row-level problem becomes a :class:`RowError` and the row is left out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any, cast

from gsi_kernel.errors import InvalidInput, PayloadTooLarge
from interventions.adapters.spreadsheets import cells, formats
from interventions.adapters.spreadsheets.cells import COLUMNS as COLUMNS  # public here
from interventions.adapters.spreadsheets.cells import PARSERS
from interventions.adapters.spreadsheets.cells import Column as Column  # public here
from interventions.adapters.spreadsheets.formats import Cells
from interventions.imports.files import ImportRow, ParsedFile, RowError

_NAMES = frozenset(c.name for c in COLUMNS)
_SESSION_FIELDS = ("code", "service_date", "mode")  # what every row of one group session shares
REPORT_HEADER = ("ligne/row", "colonne/column", "code", "message_fr", "message_en", "valeur/value")
HELP_SHEET = "Aide - Help"  # Excel forbids "/" in a sheet name


_Read = tuple[list[ImportRow], list[RowError], int]
_MISSING = object()
_AT = {c.name: i for i, c in enumerate(COLUMNS, start=1)}  # where ImportRow's fields are, after row


class _Layout:
    """Where each column is in this file, and what its cells parsed to: a file repeats the same
    codes, dates, modes and staff on thousands of rows, so each distinct text is parsed once."""

    def __init__(self, position: dict[str, int], width: int) -> None:
        self.width = width
        self.columns: list[tuple[str, int | None, Callable[[object, str], Any], dict[object, Any]]] = [
            (c.name, position.get(c.name), PARSERS[c.name], {}) for c in COLUMNS
        ]

    @staticmethod
    def parse(parser: Callable[[object, str], Any], raw: object, name: str) -> Any:
        try:
            return parser(raw, name)
        except cells.CellError as bad:
            return bad  # kept as a value: the cache may hand it to many rows


def _layout(header: Cells) -> _Layout:
    names = [cells.cell_text(c).lower() for c in header]
    while names and not names[-1]:  # spreadsheets often carry empty trailing columns
        names.pop()
    unknown = [n or f"({i + 1})" for i, n in enumerate(names) if n not in _NAMES]
    unknown += sorted({n for n in names if n in _NAMES and names.count(n) > 1})
    missing = [c.name for c in COLUMNS if c.required and c.name not in names]
    if unknown or missing:
        expected = ", ".join(c.name for c in COLUMNS)
        raise InvalidInput(
            "import.bad_header",
            f"En-tête invalide. Colonnes manquantes : {', '.join(missing) or '—'} ; colonnes inconnues ou "
            f"en double : {', '.join(unknown) or '—'}. Colonnes attendues : {expected}.",
            f"Invalid header. Missing columns: {', '.join(missing) or '—'}; unknown or repeated columns: "
            f"{', '.join(unknown) or '—'}. Expected columns: {expected}.",
            details={"missing": missing, "unknown": unknown, "expected": [c.name for c in COLUMNS]},
        )
    return _Layout({n: i for i, n in enumerate(names)}, len(names))


def _clip(raw: object) -> str | None:
    return cells.cell_text(raw)[:100] or None


def _extra_values(number: int, extra: Cells, width: int) -> RowError:
    return RowError(
        number,
        None,
        "import.too_many_values",
        f"Plus de valeurs que de colonnes dans l'en-tête ({width}) : un séparateur dans une valeur "
        "sans guillemets ?",
        f"More values than header columns ({width}): a separator inside an unquoted value?",
        _clip(" | ".join(cells.cell_text(c) for c in extra)),
    )


def _parse_row(number: int, line: Cells, layout: _Layout) -> ImportRow | list[RowError]:
    values: list[Any] = [number]
    errors: list[RowError] = []
    size = len(line)
    for name, index, parser, cache in layout.columns:
        raw = line[index] if index is not None and index < size else None
        if raw is None or raw.__class__ is str:  # True == 1 == 1.0: only texts share a cache entry
            value = cache.get(raw, _MISSING)
            if value is _MISSING:
                value = cache[raw] = layout.parse(parser, raw, name)
        else:
            value = layout.parse(parser, raw, name)
        if value.__class__ is cells.CellError:
            errors.append(RowError(number, name, value.code, value.fr, value.en, _clip(raw)))
        values.append(value)
    if size > layout.width and not formats.blank(line[layout.width :]):
        errors.append(_extra_values(number, line[layout.width :], layout.width))
    if values[_AT["code"]] == "REF":  # the catalogue's REF needs both (domain: "target + reason")
        for name in ("target_organization", "referral_reason"):
            if values[_AT[name]] is None:
                ref = cells.missing(name, " pour un référencement (REF)", " for a referral (REF)")
                errors.append(RowError(number, name, ref.code, ref.fr, ref.en))
    return errors or ImportRow(*values)


class _FileChecks:
    """What a row is checked against across the file: earlier rows and group sessions."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str, date], int] = {}
        self.sessions: dict[str, ImportRow] = {}

    def error(self, row: ImportRow) -> RowError | None:
        first = self.seen.setdefault((row.person_id, row.code, row.service_date), row.row)
        if first != row.row:
            return RowError(
                row.row,
                None,
                "import.duplicate_row",
                f"Doublon de la ligne {first} (même personne, code et date).",
                f"Duplicate of row {first} (same person, code and date).",
                f"{row.person_id}|{row.code}|{row.service_date.isoformat()}",
            )
        if row.session_ref is None:
            return None
        lead = self.sessions.setdefault(row.session_ref, row)
        differ = [f for f in _SESSION_FIELDS if getattr(row, f) != getattr(lead, f)]
        if not differ:
            return None
        del self.seen[(row.person_id, row.code, row.service_date)]
        return RowError(
            row.row,
            differ[0],
            "import.session_mismatch",
            f"Séance « {cells.shown(row.session_ref)} » : {differ[0]} diffère de la ligne {lead.row}.",
            f"Session “{cells.shown(row.session_ref)}”: {differ[0]} differs from row {lead.row}.",
            cells.cell_text(getattr(row, differ[0]))[:100],
        )


def _empty() -> InvalidInput:
    return InvalidInput(
        "import.empty_file",
        "Le fichier ne contient aucune ligne d'intervention.",
        "The file holds no intervention row.",
    )


def _too_many(max_rows: int) -> InvalidInput:
    return InvalidInput(
        "import.too_many_rows",
        f"Le fichier dépasse la limite de {_size(max_rows, 'lignes')} ; divisez-le.",
        f"The file has more than {_size(max_rows, 'rows')}; split it.",
        details={"limit": max_rows},
    )


def _bad_bytes(number: int, shown: str) -> RowError:
    return RowError(
        number,
        None,
        "import.bad_encoding",
        "Caractères illisibles : enregistrez le fichier en « CSV UTF-8 ».",
        "Unreadable characters: save the file as “CSV UTF-8”.",
        shown[:100],
    )


def _read(lines: Iterable[tuple[int, Cells]], max_rows: int, check_bytes: bool) -> _Read:
    layout: _Layout | None = None
    rows: list[ImportRow] = []
    errors: list[RowError] = []
    checks, total = _FileChecks(), 0
    for number, line in lines:
        if formats.blank(line):
            continue
        shown = formats.undecodable(line) if check_bytes else None
        if layout is None:
            layout = _layout(line if shown is None else [shown])
            continue
        total += 1
        if total > max_rows:
            raise _too_many(max_rows)
        parsed = _parse_row(number, line, layout) if shown is None else [_bad_bytes(number, shown)]
        problem = parsed if isinstance(parsed, list) else checks.error(parsed)
        if problem is None:
            rows.append(cast(ImportRow, parsed))
        else:
            errors.extend(problem if isinstance(problem, list) else [problem])
    if layout is None or total == 0:
        raise _empty()
    return rows, errors, total


def parse_upload(filename: str, content: bytes, *, max_bytes: int, max_rows: int) -> ParsedFile:
    """The rows of an uploaded CSV or XLSX file (recognised by its content), each parsed or with
    its errors. Raises PayloadTooLarge, UnsupportedMediaType or InvalidInput (import.empty_file,
    import.too_many_rows, import.bad_header, import.unreadable_file) when the file as a whole
    cannot be taken."""
    if len(content) > max_bytes:
        raise PayloadTooLarge(
            "import.file_too_large",
            f"Fichier trop volumineux ({_size(len(content), 'octets')}) : la limite est de "
            f"{_size(max_bytes, 'octets')}.",
            f"File too large ({_size(len(content), 'bytes')}): the limit is {_size(max_bytes, 'bytes')}.",
            details={"limit": max_bytes, "size": len(content)},
        )
    if not content.strip(b" \t\r\n\xef\xbb\xbf"):
        raise _empty()
    kind = formats.sniff(filename, content)
    if kind == "xlsx":
        rows, errors, total = _read(formats.xlsx_rows(content, max_bytes), max_rows, check_bytes=False)
    else:
        text, check_bytes = formats.decode_text(content)
        rows, errors, total = _read(formats.csv_rows(text), max_rows, check_bytes)
    return ParsedFile(kind, hashlib.sha256(content).hexdigest(), rows, errors, total)


def _size(count: int, unit: str) -> str:
    return f"{count:,} {unit}".replace(",", "\u202f")


def template(format: str) -> bytes:
    """A file to fill in: the header and one example row (a group session's attendee); the XLSX
    has drop-down lists and a help sheet describing every column in French and English."""
    header = [c.name for c in COLUMNS]
    example: list[object] = [None if c.name in _REF_ONLY else c.example for c in COLUMNS]
    if format == "csv":
        return formats.write_csv(header, [example])
    _check_format(format)
    example[header.index("service_date")] = date.fromisoformat(str(example[header.index("service_date")]))
    example[header.index("duration_minutes")] = int(str(example[header.index("duration_minutes")]))
    choices = {
        header.index("mode"): list(cells.MODES.values()),
        header.index("volet"): list(cells.VOLETS.values()),
    }
    help_rows = [
        ("colonne/column", "obligatoire/required", "description (FR)", "description (EN)", "exemple/example")
    ]
    help_rows += [(c.name, "oui/yes" if c.required else "non/no", c.fr, c.en, c.example) for c in COLUMNS]
    help_rows += [("", "", fr, en, "") for fr, en in cells.HELP_NOTES]
    return formats.write_template_xlsx(header, example, choices, HELP_SHEET, help_rows)


_REF_ONLY = ("target_organization", "referral_reason")


def _check_format(format: str) -> None:
    if format not in ("csv", "xlsx"):
        raise InvalidInput(
            "import.unsupported_format",
            f"Format inconnu « {format} » : csv ou xlsx.",
            f"Unknown format “{format}”: csv or xlsx.",
        )


def error_report(errors: Sequence[RowError], format: str = "csv") -> bytes:
    """The errors as a file the organization can open next to its own."""
    _check_format(format)
    lines = ((e.row, e.column, e.code, e.fr, e.en, e.value) for e in errors)
    if format == "csv":
        return formats.write_csv(REPORT_HEADER, lines)
    return formats.write_xlsx("Erreurs - Errors", REPORT_HEADER, lines)


class Spreadsheets:
    """The import's files as CSV or XLSX (:class:`interventions.imports.files.ImportFiles`)."""

    def parse(self, filename: str, content: bytes, *, max_bytes: int, max_rows: int) -> ParsedFile:
        return parse_upload(filename, content, max_bytes=max_bytes, max_rows=max_rows)

    def template(self, format: str) -> bytes:
        return template(format)

    def error_report(self, errors: Sequence[RowError], format: str) -> bytes:
        return error_report(errors, format)
