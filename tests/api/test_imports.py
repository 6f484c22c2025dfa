"""Bulk imports through the API: template, dry run, all-or-nothing, valid rows only, error file,
idempotence (same file, same rows), file-level refusals, progress."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from gsi_contracts import reporting as reporting_contract
from tests.api.conftest import InterventionsService
from tests.consumers import outbox_events
from tests.e2e.flow import eventually

ORG = "org-sherbrooke"
HEADER = "person_id;code;service_date;duration_minutes;mode;volet;staff_member;notes\n"


def staff(service: InterventionsService) -> dict[str, str]:
    return service.headers("sophie", ["org_manager"], ORG)


def upload(service: InterventionsService, content: bytes, mode: str, name: str = "seances.csv") -> Any:
    return service.client.post(
        "/imports",
        files={"file": (name, content, "text/csv")},
        data={"mode": mode},
        headers=staff(service),
    )


def finished(service: InterventionsService, import_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        job = service.client.get(f"/imports/{import_id}", headers=staff(service)).json()
        return job if job["status"] in {"done", "failed"} else None

    job: dict[str, Any] = eventually(done, timeout_s=30, what=f"import {import_id} to finish")
    assert job["status"] == "done", job
    return job


def rows(*lines: str) -> bytes:
    return (HEADER + "".join(f"{line}\n" for line in lines)).encode("utf-8")


def file_with_four_bad_rows(service: InterventionsService) -> tuple[bytes, list[str]]:
    persons = [service.register_person(ORG) for _ in range(3)]
    a, b, c = persons
    content = rows(
        f"{a};SIC;2026-10-14;90;group;V2;karine;Séance « Vivre à Sherbrooke »",
        f"{b};SIC;2026-10-14;90;group;V2;karine;",
        f"{c};SIC;14/10/2026;90;group;V2;karine;",  # a date in another format
        f"{c};XYZ;2026-10-14;90;group;V2;karine;",  # an unknown code
        "8d0f1b7e-0000-4000-8000-000000000000;SIC;2026-10-14;90;group;V2;karine;",  # not registered
        f"{a};SIC;2026-10-14;90;group;V2;karine;",  # the first row again
        f"{c};SIC;2026-10-15;60;group;V2;karine;",
    )
    return content, persons


def test_the_template_is_downloadable_in_both_formats(interventions: InterventionsService) -> None:
    for fmt, magic in (("csv", "\ufeffperson_id".encode()), ("xlsx", b"PK")):
        answer = interventions.client.get(f"/imports/template?format={fmt}", headers=staff(interventions))
        assert answer.status_code == 200
        assert answer.content.startswith(magic)


def test_a_dry_run_reports_every_bad_row_and_writes_nothing(interventions: InterventionsService) -> None:
    content, _ = file_with_four_bad_rows(interventions)
    started = upload(interventions, content, "dry_run")
    assert started.status_code == 202, started.text
    job = finished(interventions, started.json()["import_id"])
    assert job["total_rows"] == 7
    assert job["rejected"] == 4
    assert job["created"] == 0
    errors_file = interventions.client.get(
        f"/imports/{job['import_id']}/errors", headers=staff(interventions)
    )
    report = list(csv.reader(io.StringIO(errors_file.content.decode("utf-8-sig")), delimiter=";"))
    assert report[0][:3] == ["ligne/row", "colonne/column", "code"]
    by_row = {int(line[0]): line[2] for line in report[1:]}
    assert by_row == {
        4: "import.bad_date",
        5: "catalogue.unknown_code",
        6: "intervention.unknown_person",
        7: "import.duplicate_row",
    }
    assert interventions.client.get("/interventions", headers=staff(interventions)).json()["total"] == 0


def test_all_or_nothing_writes_nothing_when_a_row_is_bad(interventions: InterventionsService) -> None:
    content, _ = file_with_four_bad_rows(interventions)
    job = finished(interventions, upload(interventions, content, "all_or_nothing").json()["import_id"])
    assert (job["created"], job["rejected"]) == (0, 4)
    assert interventions.client.get("/interventions", headers=staff(interventions)).json()["total"] == 0


def test_valid_rows_only_writes_the_good_rows_once_whatever_is_uploaded_again(
    interventions: InterventionsService,
) -> None:
    content, (a, _b, c) = file_with_four_bad_rows(interventions)
    first = upload(interventions, content, "valid_rows_only").json()
    job = finished(interventions, first["import_id"])
    assert (job["created"], job["unchanged"], job["rejected"]) == (3, 0, 4)
    listed = interventions.client.get(
        f"/interventions?import_id={job['import_id']}", headers=staff(interventions)
    )
    assert listed.json()["total"] == 3

    again = upload(interventions, content, "valid_rows_only")
    assert again.status_code == 202
    assert again.json() == {"import_id": first["import_id"], "new": False}  # the same file: nothing new

    fixed = rows(
        f"{a};SIC;2026-10-14;90;group;V2;karine;",  # already imported under the same natural key
        f"{c};SIC;2026-10-14;90;group;V2;karine;",  # the fixed row
    )
    job = finished(interventions, upload(interventions, fixed, "all_or_nothing").json()["import_id"])
    assert (job["created"], job["unchanged"], job["rejected"]) == (1, 1, 0)
    assert interventions.client.get("/interventions", headers=staff(interventions)).json()["total"] == 4
    notices = [e for e in outbox_events(interventions.kernel) if e.type == "interventions.ImportFinished"]
    assert [n.payload["created"] for n in notices] == [3, 1]


def test_rows_in_a_locked_quarter_are_refused_with_the_lock_code(interventions: InterventionsService) -> None:
    person = interventions.register_person(ORG)
    interventions.receive(
        reporting_contract.QuarterLocked(organization_id=ORG, quarter="2026-2027-Q2", report_id="r-q2")
    )
    content = rows(
        f"{person};PDI;2026-08-10;30;in_person;V1;karine;",
        f"{person};PDI;2026-10-10;30;in_person;V1;karine;",
    )
    job = finished(interventions, upload(interventions, content, "valid_rows_only").json()["import_id"])
    assert (job["created"], job["rejected"]) == (1, 1)
    errors = interventions.client.get(
        f"/imports/{job['import_id']}/errors", headers=staff(interventions)
    ).text
    assert "quarter.locked" in errors


def test_files_that_cannot_be_imported_are_refused_whole(interventions: InterventionsService) -> None:
    limit = interventions.kernel.settings.import_max_bytes  # type: ignore[attr-defined]
    too_big = upload(interventions, b"x" * (limit + 1), "dry_run")
    assert too_big.status_code == 413
    assert too_big.json()["code"] == "import.file_too_large"
    not_a_sheet = upload(interventions, b"%PDF-1.7 not a spreadsheet\x00\x01", "dry_run", name="seances.xlsx")
    assert not_a_sheet.status_code in {415, 422}
    bad_header = upload(interventions, b"nom;prenom\nA;B\n", "dry_run")
    assert bad_header.status_code == 422
    assert bad_header.json()["code"] == "import.bad_header"
    assert interventions.client.get("/interventions", headers=staff(interventions)).json()["total"] == 0


def test_another_organization_cannot_see_an_import(interventions: InterventionsService) -> None:
    content, _ = file_with_four_bad_rows(interventions)
    import_id = upload(interventions, content, "dry_run").json()["import_id"]
    finished(interventions, import_id)
    other = interventions.headers("x", ["org_manager"], "org-montreal")
    assert interventions.client.get(f"/imports/{import_id}", headers=other).status_code == 404
    assert interventions.client.get(f"/imports/{import_id}/errors", headers=other).status_code == 404


def test_an_xlsx_file_with_a_formula_gets_the_row_refused(interventions: InterventionsService) -> None:
    from openpyxl import Workbook

    person = interventions.register_person(ORG)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["person_id", "code", "service_date", "duration_minutes", "mode", "volet", "staff_member"])
    sheet.append([person, "PDI", date(2026, 10, 14), 30, "in_person", "V1", "karine"])
    sheet.append([person, "PDI", date(2026, 10, 15), "=10*3", "in_person", "V1", "karine"])
    buffer = io.BytesIO()
    book.save(buffer)
    answer = upload(interventions, buffer.getvalue(), "valid_rows_only", name="seances.xlsx")
    job = finished(interventions, answer.json()["import_id"])
    assert (job["format"], job["created"], job["rejected"]) == ("xlsx", 1, 1)
    errors = interventions.client.get(
        f"/imports/{job['import_id']}/errors", headers=staff(interventions)
    ).text
    assert "import.formula" in errors


def test_the_same_file_in_another_mode_is_a_new_import_that_writes_each_row_once(
    interventions: InterventionsService,
) -> None:
    """The mode is part of what makes an import new: all or nothing refuses the file for its bad
    rows, then valid rows only on the same file writes the good ones — once."""
    content, _ = file_with_four_bad_rows(interventions)
    refused = upload(interventions, content, "all_or_nothing").json()
    assert refused["new"] is True
    assert (finished(interventions, refused["import_id"])["created"]) == 0

    valid = upload(interventions, content, "valid_rows_only").json()
    assert valid["new"] is True
    assert valid["import_id"] != refused["import_id"]
    job = finished(interventions, valid["import_id"])
    assert (job["created"], job["unchanged"], job["rejected"]) == (3, 0, 4)

    assert upload(interventions, content, "valid_rows_only").json() == {
        "import_id": valid["import_id"],
        "new": False,
    }
    assert upload(interventions, content, "all_or_nothing").json() == {
        "import_id": refused["import_id"],
        "new": False,
    }
    assert interventions.client.get("/interventions", headers=staff(interventions)).json()["total"] == 3
    notices = [e for e in outbox_events(interventions.kernel) if e.type == "interventions.ImportFinished"]
    assert [n.payload["created"] for n in notices] == [0, 3]


def test_a_dry_run_then_the_real_import_of_the_same_file_both_run(
    interventions: InterventionsService,
) -> None:
    person = interventions.register_person(ORG)
    content = rows(
        f"{person};PDI;2026-10-14;30;in_person;V1;karine;",
        f"{person};EVB;2026-10-15;30;in_person;V1;karine;",
    )
    trial = upload(interventions, content, "dry_run").json()
    assert finished(interventions, trial["import_id"])["created"] == 0
    again = upload(interventions, content, "dry_run").json()
    assert again["new"] is True  # a dry run always runs
    assert again["import_id"] != trial["import_id"]

    real = upload(interventions, content, "all_or_nothing").json()
    assert real["new"] is True
    assert finished(interventions, real["import_id"])["created"] == 2
    other_mode = upload(interventions, content, "valid_rows_only").json()
    assert other_mode["new"] is True
    job = finished(interventions, other_mode["import_id"])
    assert (job["created"], job["unchanged"]) == (0, 2)  # the rows are written once
    assert interventions.client.get("/interventions", headers=staff(interventions)).json()["total"] == 2


def test_rows_in_a_locked_quarter_a_granted_exception_opens_are_written_without_c7(
    interventions: InterventionsService,
) -> None:
    person = interventions.register_person(ORG)
    interventions.receive(
        reporting_contract.QuarterLocked(organization_id=ORG, quarter="2026-2027-Q2", report_id="r-q2")
    )
    requested = interventions.client.post(
        "/lock-exceptions",
        json={"quarter": "2026-2027-Q2", "reason": "Saisies en retard"},
        headers=staff(interventions),
    )
    reviewer = interventions.headers("nadia", ["ministry_reviewer"], assigned_organizations=[ORG])
    granted = interventions.client.post(
        f"/lock-exceptions/{requested.json()['id']}/grant",
        json={"valid_until": "2026-11-30"},
        headers=reviewer,
    )
    assert granted.status_code == 200, granted.text
    content = rows(
        f"{person};PDI;2026-08-10;30;in_person;V1;karine;",
        f"{person};PDI;2026-10-10;30;in_person;V1;karine;",
    )
    job = finished(interventions, upload(interventions, content, "valid_rows_only").json()["import_id"])
    assert (job["created"], job["rejected"]) == (2, 0)
    listed = interventions.client.get(
        f"/interventions?import_id={job['import_id']}", headers=staff(interventions)
    )
    assert [(item["errors"], item["warnings"]) for item in listed.json()["items"]] == [(0, 0), (0, 0)]
    flagged = interventions.client.get("/interventions?check=C7", headers=staff(interventions))
    assert flagged.json()["total"] == 0


def test_a_file_longer_than_one_chunk_imports_and_its_progress_can_be_read_meanwhile(
    interventions: InterventionsService,
) -> None:
    """More rows than one validation chunk (2,000): on SQLite one transaction over the whole
    file held the writer's lock, its own progress update waited on it until the busy timeout
    failed the import, and no read of the service could see the progress."""
    persons = [interventions.register_person(ORG) for _ in range(50)]
    days = [date(2026, 10, 1) + timedelta(days=n) for n in range(50)]  # all before NOW, in Q3
    lines = [f"{p};PDI;{d.isoformat()};30;in_person;V1;karine;" for p in persons for d in days]
    started = upload(interventions, rows(*lines), "valid_rows_only")
    assert started.status_code == 202, started.text
    import_id = started.json()["import_id"]
    seen = interventions.client.get(f"/imports/{import_id}", headers=staff(interventions))
    assert seen.status_code == 200  # readable while the job runs
    job = finished(interventions, import_id)
    assert job["total_rows"] == 2_500
    assert job["processed_rows"] == 2_500
    assert job["rejected"] == 0, job
    assert job["created"] == 2_500
