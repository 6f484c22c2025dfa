"""Bulk import, the file side (pure): CSV and XLSX uploads → rows and per-row errors, file-level
refusals, the template and the error report."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from gsi_kernel.errors import GsiError, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from interventions.adapters.spreadsheets.import_file import COLUMNS, error_report, parse_upload, template
from interventions.imports.files import ImportRow, ParsedFile, RowError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
HEADER = [c.name for c in COLUMNS]
GOOD = {
    "person_id": "p-1",
    "code": "SUI",
    "service_date": "2026-05-12",
    "duration_minutes": "60",
    "mode": "in_person",
    "volet": "V1",
    "staff_member": "karine@org-sherbrooke",
}
ACCENTS = "Élodie Côté, française — reçue à l'hôtel"


def line(**changes: Any) -> dict[str, Any]:
    return {**GOOD, **changes}


def csv_bytes(
    *rows: dict[str, Any], sep: str = ";", encoding: str = "utf-8", header: list[str] = HEADER
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([row.get(name, "") for name in header] for row in rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]], header: list[str] = HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def parse(
    content: bytes, name: str = "seances.csv", *, max_rows: int = 1000, max_bytes: int = 1_000_000
) -> ParsedFile:
    return parse_upload(name, content, max_bytes=max_bytes, max_rows=max_rows)


def only_error(parsed: ParsedFile) -> RowError:
    assert parsed.rows == [], parsed.rows
    assert len(parsed.errors) == 1, parsed.errors
    return parsed.errors[0]


def refused(content: bytes, name: str = "seances.csv", **limits: int) -> GsiError:
    with pytest.raises(GsiError) as caught:
        parse(content, name, **limits)
    return caught.value


# --- a clean file ----------------------------------------------------------------------------


def test_a_clean_csv_gives_typed_rows_numbered_as_the_user_sees_them() -> None:
    content = csv_bytes(line(), line(person_id="p-2", code="sic", mode="GROUP", volet="v2", session_ref="S1"))
    parsed = parse(content)
    assert (parsed.format, parsed.total_rows, parsed.errors) == ("csv", 2, [])
    first, second = parsed.rows
    assert first == ImportRow(
        row=2,
        person_id="p-1",
        code="SUI",
        service_date=date(2026, 5, 12),
        duration_minutes=60,
        mode="in_person",
        volet="V1",
        staff_member="karine@org-sherbrooke",
        notes=None,
        target_organization=None,
        referral_reason=None,
        session_ref=None,
    )
    assert (second.row, second.code, second.mode, second.volet, second.session_ref) == (
        3,
        "SIC",
        "group",
        "V2",
        "S1",
    )
    assert first.natural_key("org-a") == "org-a|p-1|SUI|2026-05-12"


def test_blank_lines_are_skipped_and_values_trimmed_and_empty_optionals_are_none() -> None:
    content = csv_bytes(line(person_id="  p-1 ", notes="   ", staff_member=" k "), {}, line(person_id="p-2"))
    content += b";;;;;;;;;;\r\n\r\n"
    parsed = parse(content)
    assert [r.row for r in parsed.rows] == [2, 4]
    assert parsed.total_rows == 2
    assert (parsed.rows[0].person_id, parsed.rows[0].staff_member, parsed.rows[0].notes) == ("p-1", "k", None)


def test_columns_may_come_in_any_order_in_any_case_and_optionals_may_be_left_out() -> None:
    content = b"VOLET;Person_ID;code;service_date;duration_minutes;Mode;staff_member\r\nV1;p-1;SUI;2026-05-12;60;remote;k\r\n"
    parsed = parse(content)
    assert parsed.errors == []
    assert (parsed.rows[0].person_id, parsed.rows[0].volet, parsed.rows[0].session_ref) == ("p-1", "V1", None)


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_the_separator_is_found_from_the_header(sep: str) -> None:
    notes = f"a{sep} b; c, d"  # separators inside a quoted value
    parsed = parse(csv_bytes(line(notes=notes), line(person_id="p-2"), sep=sep))
    assert parsed.errors == []
    assert [r.notes for r in parsed.rows] == [notes, None]


def test_leading_blank_lines_do_not_hide_the_header_or_shift_the_row_numbers() -> None:
    parsed = parse(b"\r\n\r\n" + csv_bytes(line(notes="a; b"), sep=","))
    assert parsed.errors == []
    assert [(r.row, r.notes) for r in parsed.rows] == [(4, "a; b")]


def test_a_quoted_value_may_hold_newlines_and_row_numbers_follow_the_records() -> None:
    parsed = parse(
        csv_bytes(line(notes="ligne 1\nligne 2\r\nligne 3"), line(person_id="p-2", duration_minutes="x"))
    )
    assert parsed.rows[0].notes == "ligne 1\nligne 2\r\nligne 3"
    assert [(e.row, e.column) for e in parsed.errors] == [(3, "duration_minutes")]


# --- encodings -------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_accents_survive_every_encoding_excel_writes(encoding: str) -> None:
    parsed = parse(csv_bytes(line(notes=ACCENTS, staff_member="Hélène Ouellet"), encoding=encoding))
    assert parsed.errors == []
    assert (parsed.rows[0].notes, parsed.rows[0].staff_member) == (ACCENTS, "Hélène Ouellet")


def test_the_sample_saved_by_french_excel_reads_as_it_was_typed() -> None:
    content = (FIXTURES / "seances_excel_fr.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")  # the fixture really is Windows-1252
    parsed = parse(content)
    assert parsed.errors == []
    assert len({r.session_ref for r in parsed.rows}) == 1
    assert [r.notes for r in parsed.rows if r.notes] == [
        "Première séance — très appréciée",
        "Interprète présent (ça aide)",
    ]
    assert {r.staff_member for r in parsed.rows} == {"Éloïse Gagné"}


def test_only_rows_with_undecodable_bytes_are_refused_in_a_mixed_file() -> None:
    good = csv_bytes(line(notes=ACCENTS), line(person_id="p-3", notes="Ôté"))
    content = good + "p-2;SUI;2026-05-12;60;remote;V1;André;Noël\r\n".encode("cp1252")
    parsed = parse(content)
    assert [r.notes for r in parsed.rows] == [ACCENTS, "Ôté"]  # not turned into "Ã‰lodie"
    error = only_error(ParsedFile("", "", [], parsed.errors, 0))
    assert (error.row, error.code) == (4, "import.bad_encoding")
    assert error.value is not None
    assert "Andr\\xe9" in error.value


def test_windows_1252_with_control_characters_is_refused_per_row() -> None:
    content = csv_bytes(line(notes="sans accent")) + "p-2;SUI;2026-05-12;60;remote;V1;k;ça\x01\r\n".encode(
        "cp1252"
    )
    parsed = parse(content)
    assert [r.row for r in parsed.rows] == [2]
    assert [(e.row, e.code) for e in parsed.errors] == [(3, "import.bad_encoding")]


def test_a_header_with_undecodable_bytes_is_a_bad_header() -> None:
    content = csv_bytes(line()).replace(b"notes", b"remarqu\xe9es") + "é".encode()
    error = refused(content)
    assert error.code == "import.bad_header"
    assert "remarqu\\xe9es" in error.details["unknown"][0]


# --- per-row errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["12/05/2026", "2026/05/12", "12 mai 2026", "46154", "2026-02-30", "20260512", "2026-5-12"]
)
def test_only_iso_dates_are_accepted_in_text(value: str) -> None:
    error = only_error(parse(csv_bytes(line(service_date=value))))
    assert (error.row, error.column, error.code, error.value) == (2, "service_date", "import.bad_date", value)
    assert f"Date invalide « {value} » : format attendu AAAA-MM-JJ (ex. 2026-05-12)" in error.fr
    assert "YYYY-MM-DD" in error.en


@pytest.mark.parametrize("value", ["0", "1441", "-5", "-5.5", "1.5", "soixante", "60 min", "1e3"])
def test_a_duration_is_a_whole_number_of_minutes_up_to_a_day(value: str) -> None:
    error = only_error(parse(csv_bytes(line(duration_minutes=value))))
    assert (error.column, error.code, error.value) == ("duration_minutes", "import.bad_number", value)


@pytest.mark.parametrize(("value", "minutes"), [("1", 1), ("1440", 1440), ("60.0", 60), ("90,0", 90)])
def test_integral_durations_are_accepted(value: str, minutes: int) -> None:
    assert parse(csv_bytes(line(duration_minutes=value))).rows[0].duration_minutes == minutes


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("mode", "présentiel", "import.bad_choice"),
        ("mode", "in person", "import.bad_choice"),
        ("volet", "V6", "import.bad_choice"),
        ("volet", "1", "import.bad_choice"),
        ("code", "AC", "import.bad_code"),
        ("code", "AC1", "import.bad_code"),
        ("code", "ACCUEIL", "import.bad_code"),
        ("person_id", "x" * 37, "import.too_long"),
        ("notes", "x" * 2001, "import.too_long"),
    ],
)
def test_values_outside_the_fixed_lists_and_shapes_are_refused(column: str, value: str, code: str) -> None:
    error = only_error(parse(csv_bytes(line(**{column: value}))))
    assert (error.column, error.code, error.value) == (column, code, value[:100])


def test_the_error_for_a_choice_lists_the_allowed_values() -> None:
    error = only_error(parse(csv_bytes(line(mode="présentiel"))))
    assert "in_person, remote, group" in error.fr
    assert "in_person, remote, group" in error.en


@pytest.mark.parametrize("column", [c.name for c in COLUMNS if c.required])
def test_a_required_value_left_empty_is_reported(column: str) -> None:
    error = only_error(parse(csv_bytes(line(**{column: "  "}))))
    assert (error.row, error.column, error.code, error.value) == (2, column, "import.missing_value", None)


def test_a_referral_needs_its_target_and_reason() -> None:
    parsed = parse(
        csv_bytes(
            line(code="REF"),
            line(person_id="p-2", code="REF", target_organization="CJE", referral_reason="Emploi"),
        )
    )
    assert [r.row for r in parsed.rows] == [3]
    assert [(e.row, e.column, e.code) for e in parsed.errors] == [
        (2, "target_organization", "import.missing_value"),
        (2, "referral_reason", "import.missing_value"),
    ]


@pytest.mark.parametrize(
    "value", ["=1+1", "+33 1 23", "-abc", "@SUM(A1)", '=HYPERLINK("http://x")', "  =cmd|' /C calc'!A0"]
)
@pytest.mark.parametrize("column", ["person_id", "staff_member", "notes", "service_date", "duration_minutes"])
def test_values_a_spreadsheet_would_run_as_formulas_are_refused(column: str, value: str) -> None:
    error = only_error(parse(csv_bytes(line(**{column: value}))))
    assert (error.column, error.code, error.value) == (column, "import.formula", value.strip())


def test_all_the_problems_of_a_row_are_reported_together() -> None:
    parsed = parse(csv_bytes(line(service_date="12/05/2026", duration_minutes="-5", staff_member="=cmd")))
    assert [(e.column, e.code) for e in parsed.errors] == [
        ("service_date", "import.bad_date"),
        ("duration_minutes", "import.bad_number"),
        ("staff_member", "import.formula"),
    ]
    assert parsed.total_rows == 1


def test_more_values_than_columns_is_reported() -> None:
    content = csv_bytes(line()) + b"p-2;SUI;2026-05-12;60;remote;V1;k;a;b;c;d;surplus\r\n"
    parsed = parse(content)
    assert [(e.row, e.code, e.value) for e in parsed.errors] == [(3, "import.too_many_values", "surplus")]


def test_a_row_repeating_an_earlier_natural_key_is_a_duplicate_of_the_first() -> None:
    content = csv_bytes(
        line(), line(code="ACC"), line(duration_minutes="30", notes="autre"), line(code=" sui ")
    )
    parsed = parse(content)
    assert [r.row for r in parsed.rows] == [2, 3]
    assert [(e.row, e.code) for e in parsed.errors] == [
        (4, "import.duplicate_row"),
        (5, "import.duplicate_row"),
    ]
    assert "ligne 2" in parsed.errors[0].fr
    assert "row 2" in parsed.errors[0].en
    assert parsed.total_rows == 4


def test_rows_of_one_group_session_must_share_code_date_and_mode() -> None:
    session = {"code": "SIC", "mode": "group", "volet": "V2", "session_ref": "S-1"}
    content = csv_bytes(
        line(**session),
        line(person_id="p-2", **session),
        line(person_id="p-3", **{**session, "service_date": "2026-05-13"}),
        line(person_id="p-4", **{**session, "session_ref": "S-2", "mode": "remote"}),
    )
    parsed = parse(content)
    assert [r.row for r in parsed.rows] == [2, 3, 5]
    error = only_error(ParsedFile("", "", [], parsed.errors, 0))
    assert (error.row, error.column, error.code, error.value) == (
        4,
        "service_date",
        "import.session_mismatch",
        "2026-05-13",
    )
    assert "ligne 2" in error.fr


# --- XLSX ------------------------------------------------------------------------------------


def test_xlsx_native_dates_integral_floats_and_numbers_are_read() -> None:
    rows: list[list[Any]] = [
        ["p-1", "SUI", datetime(2026, 5, 12), 60.0, "in_person", "v1", "karine", None, None, None, None],
        [12345, "ACC", date(2026, 5, 13), 45, "remote", "V2", "karine", ACCENTS, None, None, None],
        ["p-3", "SUI", "2026-05-14", "30", "remote", "V2", "karine"],
    ]
    parsed = parse(xlsx_bytes(rows), "seances.xlsx")
    assert (parsed.format, parsed.errors) == ("xlsx", [])
    assert [(r.person_id, r.service_date, r.duration_minutes, r.volet) for r in parsed.rows] == [
        ("p-1", date(2026, 5, 12), 60, "V1"),
        ("12345", date(2026, 5, 13), 45, "V2"),
        ("p-3", date(2026, 5, 14), 30, "V2"),
    ]
    assert parsed.rows[1].notes == ACCENTS


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("service_date", 46154, "import.bad_date"),  # a serial number without a date format
        ("service_date", "12/05/2026", "import.bad_date"),
        ("duration_minutes", 60.5, "import.bad_number"),
        ("duration_minutes", -5, "import.bad_number"),
        ("duration_minutes", True, "import.bad_number"),
        ("duration_minutes", "=30+30", "import.formula"),  # openpyxl writes it as a formula cell
        ("staff_member", "=A1", "import.formula"),
        ("notes", '=HYPERLINK("http://x")', "import.formula"),
    ],
)
def test_xlsx_cells_are_checked_like_csv_values(column: str, value: Any, code: str) -> None:
    row = [line()[name] if name in GOOD else None for name in HEADER]
    row[HEADER.index(column)] = value
    error = only_error(parse(xlsx_bytes([row]), "seances.xlsx"))
    assert (error.row, error.column, error.code) == (2, column, code)


def test_xlsx_blank_rows_keep_the_row_numbers_and_trailing_empty_header_cells_are_ignored() -> None:
    good = [line()[name] if name in GOOD else None for name in HEADER]
    bad = [*good[:3], "x", *good[4:]]
    parsed = parse(xlsx_bytes([good, [None] * 11, [], bad], header=[*HEADER, None, None]), "s.xlsx")  # type: ignore[list-item]
    assert [r.row for r in parsed.rows] == [2]
    assert [(e.row, e.code) for e in parsed.errors] == [(5, "import.bad_number")]


def test_an_xlsx_with_a_wrong_dimension_is_read_in_full() -> None:
    content = xlsx_bytes([[line()[n] if n in GOOD else None for n in HEADER]])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    assert b'<dimension ref="A1:K2"' in sheet
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(b'<dimension ref="A1:K2"', b'<dimension ref="A1"')
    parsed = parse(zipped(parts), "s.xlsx")
    assert (len(parsed.rows), parsed.errors) == (1, [])


def zipped(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# --- file-level refusals ---------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_anything_else() -> None:
    error = refused(b"x" * 1001, max_bytes=1000)
    assert isinstance(error, PayloadTooLarge)
    assert (error.code, error.details["limit"]) == ("import.file_too_large", 1000)
    assert "1\u202f000 octets" in error.fr
    assert "1\u202f000 bytes" in error.en


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("seances.xlsx", b"person_id;code\r\np;SUI\r\n"),  # a CSV renamed .xlsx: not a zip
        ("seances.xlsx", b"not a workbook at all"),
        ("seances.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512),  # Excel 97
        ("seances.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
        ("seances.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20),
        ("seances.csv", b"person_id;code\r\np\x00;SUI\r\n"),
    ],
)
def test_what_is_not_csv_or_xlsx_by_its_content_is_unsupported(name: str, content: bytes) -> None:
    error = refused(content, name)
    assert isinstance(error, UnsupportedMediaType)
    assert error.code == "import.unsupported_format"
    assert "CSV" in error.fr
    assert "XLSX" in error.en


def test_a_zip_that_is_not_a_workbook_is_unsupported() -> None:
    error = refused(zipped({"word/document.xml": b"<w/>"}), "rapport.docx")
    assert (type(error), error.code) == (UnsupportedMediaType, "import.unsupported_format")


def test_an_xlsx_extension_does_not_make_a_workbook_nor_a_csv_extension_hide_one() -> None:
    content = xlsx_bytes([[line()[n] if n in GOOD else None for n in HEADER]])
    assert parse(content, "export.csv").format == "xlsx"


@pytest.mark.parametrize(
    "content",
    [
        b"PK\x03\x04 this is no zip",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 64,
        zipped({"xl/workbook.xml": b"<workbook", "[Content_Types].xml": b"<Types/>"}),
    ],
    ids=["broken zip", "password-protected", "invalid workbook"],
)
def test_unreadable_workbooks_are_refused(content: bytes) -> None:
    error = refused(content, "seances.xlsx")
    assert (type(error), error.code) == (InvalidInput, "import.unreadable_file")


def test_an_encrypted_zip_member_is_unreadable() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        member = zipfile.ZipInfo("xl/workbook.xml")
        member.flag_bits |= 0x1
        archive.writestr(member, b"<workbook/>")
    assert refused(buffer.getvalue(), "s.xlsx").code == "import.unreadable_file"


def test_a_zip_bomb_is_refused_without_inflating_it() -> None:
    content = zipped({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"\x00" * 2_000_000})
    assert len(content) < 10_000
    error = refused(content, "s.xlsx", max_bytes=100_000)
    assert (error.code, "bombe" in error.fr, "zip bomb" in error.en) == ("import.unreadable_file", True, True)


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"", "vide.csv"),
        (b"\xef\xbb\xbf\r\n\r\n", "vide.csv"),
        (csv_bytes(), "entete.csv"),
        (csv_bytes() + b";;;;;;;;;;\r\n\r\n", "entete.csv"),
        (xlsx_bytes([]), "entete.xlsx"),
    ],
)
def test_a_file_without_intervention_rows_is_empty(content: bytes, name: str) -> None:
    error = refused(content, name)
    assert (type(error), error.code) == (InvalidInput, "import.empty_file")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_more_rows_than_allowed_is_refused(fmt: str) -> None:
    rows = [line(person_id=f"p-{i}") for i in range(4)]
    content = csv_bytes(*rows) if fmt == "csv" else xlsx_bytes([[r.get(n) for n in HEADER] for r in rows])
    assert len(parse(content, f"s.{fmt}", max_rows=4).rows) == 4
    error = refused(content, f"s.{fmt}", max_rows=3)
    assert (type(error), error.code, error.details["limit"]) == (InvalidInput, "import.too_many_rows", 3)


@pytest.mark.parametrize(
    ("header", "missing", "unknown"),
    [
        (["person_id", "code", "service_date", "duration_minutes", "mode", "staff_member"], ["volet"], []),
        ([*HEADER, "commentaire"], [], ["commentaire"]),
        ([*HEADER[:3], "", *HEADER[3:]], [], ["(4)"]),
        ([*HEADER, "code"], [], ["code"]),
        (["date", "personne"], [c.name for c in COLUMNS if c.required], ["date", "personne"]),
    ],
)
def test_a_header_must_name_every_required_column_and_only_known_ones(
    header: list[str], missing: list[str], unknown: list[str]
) -> None:
    error = refused(csv_bytes(line(), header=header))
    assert (type(error), error.code) == (InvalidInput, "import.bad_header")
    assert (error.details["missing"], error.details["unknown"]) == (missing, unknown)
    assert "person_id, code, service_date" in error.fr


def test_an_unclosed_quote_is_a_malformed_file() -> None:
    content = csv_bytes(line()) + b'p-2;SUI;2026-05-12;60;remote;V1;k;"jamais ferm\xc3\xa9\r\n'
    error = refused(content)
    assert (error.code, error.details["row"]) == ("import.unreadable_file", 3)


def test_the_same_bytes_give_the_same_sha256() -> None:
    content = csv_bytes(line())
    first, again = parse(content), parse(bytes(content))
    assert first.sha256 == again.sha256
    assert len(first.sha256) == 64
    assert parse(content + b"\r\n").sha256 != first.sha256


# --- template and error report ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_template_round_trips_with_no_error(fmt: str) -> None:
    parsed = parse(template(fmt), f"modele.{fmt}")
    assert (parsed.format, parsed.total_rows, parsed.errors) == (fmt, 1, [])
    row = parsed.rows[0]
    assert (row.code, row.service_date, row.duration_minutes, row.mode, row.session_ref) == (
        "SIC",
        date(2026, 5, 12),
        90,
        "group",
        "SIC-2026-05-12-AM",
    )
    assert row.notes is not None
    assert "générale à l'hôtel" in row.notes


def test_the_csv_template_opens_in_french_excel() -> None:
    content = template("csv")
    assert content.startswith("\ufeffperson_id;code;service_date".encode())


def test_the_xlsx_template_explains_every_column_in_french_and_english() -> None:
    book = openpyxl.load_workbook(io.BytesIO(template("xlsx")))
    data, helper = book.worksheets
    assert [c.value for c in data[1]] == HEADER
    assert isinstance(data["C2"].value, datetime)  # a real date cell
    described = {row[0]: row for row in helper.iter_rows(min_row=2, values_only=True) if row[0]}
    assert set(described) == set(HEADER)
    assert described["service_date"][1:4] == ("oui/yes", COLUMNS[2].fr, COLUMNS[2].en)
    assert described["notes"][1] == "non/no"
    assert helper.title == "Aide - Help"


def test_an_unknown_template_format_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        template("ods")
    assert caught.value.code == "import.unsupported_format"


REPORTED = [
    RowError(None, None, "import.file", "Fichier", "File"),
    RowError(4, "staff_member", "import.formula", "Formule « =1+1 »", "Formula “=1+1”", "=1+1"),
    RowError(7, "notes", "import.bad_encoding", "Caractères", "Characters", "Andr\\xe9 ; ça"),
]


def test_the_csv_error_report_has_its_bilingual_columns_and_defuses_formulas() -> None:
    content = error_report(REPORTED)
    assert content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert table[0] == ["ligne/row", "colonne/column", "code", "message_fr", "message_en", "valeur/value"]
    assert table[1] == ["", "", "import.file", "Fichier", "File", ""]
    assert table[2] == ["4", "staff_member", "import.formula", "Formule « =1+1 »", "Formula “=1+1”", "'=1+1"]
    assert table[3][5] == "Andr\\xe9 ; ça"


def test_the_xlsx_error_report_keeps_values_as_text() -> None:
    book = openpyxl.load_workbook(io.BytesIO(error_report(REPORTED, "xlsx")))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == [
        "ligne/row",
        "colonne/column",
        "code",
        "message_fr",
        "message_en",
        "valeur/value",
    ]
    assert (sheet["A3"].value, sheet["F3"].value, sheet["F3"].data_type) == (4, "=1+1", "s")
    assert sheet.max_row == 4


def test_a_parse_error_report_round_trips_the_row_numbers() -> None:
    parsed = parse(csv_bytes(line(), line(person_id="p-2", service_date="12/05/2026")))
    table = list(csv.reader(io.StringIO(error_report(parsed.errors).decode("utf-8-sig")), delimiter=";"))
    assert [(r[0], r[1], r[2], r[5]) for r in table[1:]] == [
        ("3", "service_date", "import.bad_date", "12/05/2026")
    ]
