"""``uv run python -m bench.import_files``: bulk-import file parsing, rows per second.

A realistic export: 100,000 interventions (group information sessions with their attendance
lists, follow-ups, referrals with their target and reason), accented notes, written as French
Excel writes CSV (``;``, UTF-8 with BOM, or Windows-1252) and as an XLSX workbook with native date
cells. Measured: ``parse_upload`` alone (what the import use case calls), on a clean file and on
one where 5 % of the rows have an error. Figures are printed, never asserted: the machine decides
them.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import time
import uuid
import zipfile
from datetime import date, timedelta
from xml.sax.saxutils import escape

import openpyxl

from interventions.adapters.spreadsheets.import_file import COLUMNS, parse_upload

CODES = {"SIC": 35, "SUI": 25, "PDI": 15, "ACC": 10, "REF": 8, "EVB": 5, "PPA": 2}
NOTES = (
    "",
    "",
    "",
    "Séance d'information — hôtel de ville",
    "Suivi téléphonique, ça avance",
    "Élève à l'école",
)
FIRST_DAY = date(2026, 4, 1)
BAD = {"service_date": "12/05/2026", "duration_minutes": "-30", "mode": "présentiel", "staff_member": "=1+1"}


def _row(rng: random.Random, index: int, persons: list[str]) -> dict[str, object]:
    code = rng.choices(list(CODES), weights=list(CODES.values()))[0]
    day = FIRST_DAY + timedelta(days=index // len(persons))  # (person, day) never repeats
    group = code in ("SIC", "PPA")
    return {
        "person_id": persons[index % len(persons)],
        "code": code,
        "service_date": day,
        "duration_minutes": rng.choice((30, 45, 60, 90, 120)) if not group else 180,
        "mode": "group" if group else rng.choice(("in_person", "remote")),
        "volet": rng.choice(("V1", "V2")) if code != "SIC" else "V2",
        "staff_member": f"intervenant{rng.randint(1, 40)}@org-montreal",
        "notes": rng.choice(NOTES),
        "target_organization": "Carrefour jeunesse-emploi" if code == "REF" else "",
        "referral_reason": "Recherche d'emploi" if code == "REF" else "",
        "session_ref": f"{code}-{day.isoformat()}-{rng.randint(1, 3)}" if group else "",
    }


def workload(size: int, bad_share: float = 0.0, seed: int = 2027) -> list[dict[str, object]]:
    rng = random.Random(seed)
    persons = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(max(1, size // 25))]
    rows = [_row(rng, i, persons) for i in range(size)]
    for row in rng.sample(rows, int(size * bad_share)):
        column = rng.choice(list(BAD))
        row[column] = BAD[column]
    return rows


def as_csv(rows: list[dict[str, object]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.name for c in COLUMNS])
    writer.writerows([str(r[c.name]) for c in COLUMNS] for r in rows)
    return buffer.getvalue().encode(encoding)


_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>",
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>",
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Interventions" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>",
    "xl/styles.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>',
}


def as_excel_xlsx(rows: list[dict[str, object]]) -> bytes:
    """As Excel saves a workbook: shared strings, a <dimension>, dates as styled serial numbers
    (openpyxl writes every text inline, which its reader parses about twice as slowly)."""
    strings: dict[str, int] = {}
    lines = []
    header: dict[str, object] = {c.name: c.name for c in COLUMNS}
    for number, values in enumerate([header, *rows], start=1):
        cells = []
        for letter, column in zip("ABCDEFGHIJK", COLUMNS, strict=True):
            value = values[column.name]
            ref = f"{letter}{number}"
            if isinstance(value, date):
                cells.append(f'<c r="{ref}" s="1"><v>{(value - date(1899, 12, 30)).days}</v></c>')
            elif isinstance(value, int):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            elif value:
                index = strings.setdefault(str(value), len(strings))
                cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
        lines.append(f'<row r="{number}">{"".join(cells)}</row>')
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    sheet = f'<worksheet {ns}><dimension ref="A1:K{len(rows) + 1}"/><sheetData>{"".join(lines)}</sheetData></worksheet>'
    shared = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, part in _PARTS.items():
            archive.writestr(name, part)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        archive.writestr("xl/sharedStrings.xml", f'<sst {ns} count="{len(strings)}">{shared}</sst>')
    return buffer.getvalue()


def as_xlsx(rows: list[dict[str, object]]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Interventions")
    sheet.append([c.name for c in COLUMNS])
    for row in rows:
        sheet.append([row[c.name] or None for c in COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rate(label: str, name: str, content: bytes, repeat: int) -> None:
    """The best of ``repeat`` runs of ``parse_upload``."""
    best, parsed = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        parsed = parse_upload(name, content, max_bytes=50_000_000, max_rows=1_000_000)
        best = min(best, time.perf_counter() - started)
    assert parsed is not None
    print(
        f"{label:<34} {parsed.total_rows / best:>10,.0f} rows/s  {best:6.2f} s  "
        f"({len(parsed.rows):,} rows, {len(parsed.errors):,} errors)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    clean, flawed = workload(args.rows), workload(args.rows, bad_share=0.05)
    files = {
        "CSV UTF-8 ;": as_csv(clean),
        "CSV Windows-1252 ;": as_csv(clean, "cp1252"),
        "CSV UTF-8 ;, 5 % bad rows": as_csv(flawed),
    }
    files["XLSX as Excel writes it"] = as_excel_xlsx(clean)
    started = time.perf_counter()
    files["XLSX as openpyxl writes it"] = as_xlsx(clean)
    print(f"{args.rows:,} rows; openpyxl wrote its XLSX in {time.perf_counter() - started:.1f} s")
    for label, content in files.items():
        name = "import.xlsx" if label.startswith("XLSX") else "import.csv"
        _rate(f"{label} ({len(content) / 1e6:.1f} MB)", name, content, args.repeat)


if __name__ == "__main__":
    main()
