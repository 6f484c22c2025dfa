"""What the reviewer's control page reads of a frozen submission, a page at a time: the items a
check flagged only (``check``), with how many there are over all pages (``matching``), on SQLite
and on PostgreSQL — the page never loads the whole submission to filter or count it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gsi_kernel.clock import FixedClock
from reporting.bootstrap import build, build_app
from reporting.reports import events as report_events
from reporting.settings import ReportingSettings
from tests.api.conftest import NOW, ReportingService
from tests.api.test_reports import URL, manager, reviewer, seed
from tests.databases import postgres_schema


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def reporting_on(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReportingService]:
    with ExitStack() as stack:
        settings = ReportingSettings(data_dir=tmp_path)
        if request.param == "postgres":
            url = request.getfixturevalue("postgres_url")
            schema = stack.enter_context(postgres_schema(url))
            settings = ReportingSettings(data_dir=tmp_path, database_url=url, db_schema=schema)
        clock = FixedClock(NOW)
        container = build(settings, clock=clock)
        with TestClient(build_app(container)) as client:
            yield ReportingService(client, clock, container.kernel)
        container.kernel.db.dispose()


def test_a_submission_page_filtered_by_check_counts_what_matches_over_all_pages(
    reporting_on: ReportingService,
) -> None:
    s = reporting_on
    ids = seed(s)  # five interventions, the SUI flagged C5, the claimant's and the duplicate's too
    assert s.client.post(f"{URL}/submit", headers=manager(s)).status_code == 200
    everything = s.client.get(f"{URL}/submissions/1", headers=reviewer(s), params={"limit": 2}).json()
    assert everything["matching"] == everything["interventions_count"] == 5
    assert len(everything["items"]) == 2

    c5 = s.client.get(f"{URL}/submissions/1", headers=reviewer(s), params={"check": "C5"}).json()
    assert c5["matching"] == 1
    assert [i["intervention_id"] for i in c5["items"]] == [ids["sui"]]
    assert [f["check"] for f in c5["items"][0]["flags"]] == ["C5"]

    flagged = {f["intervention_id"] for f in s.client.get(
        f"{URL}/submissions/1/findings", headers=reviewer(s), params={"limit": 200}
    ).json()["items"]}  # fmt: skip
    pages = [
        s.client.get(
            f"{URL}/submissions/1", headers=reviewer(s), params={"check": check, "limit": 1, "offset": n}
        ).json()
        for check in ("C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8")
        for n in range(5)
    ]
    seen = {i["intervention_id"] for page in pages for i in page["items"]}
    assert seen == flagged  # every flagged item, page by page, and no other
    none = s.client.get(f"{URL}/submissions/1", headers=reviewer(s), params={"check": "C8"}).json()
    assert (none["matching"], none["items"]) == (0, [])
    wrong = s.client.get(f"{URL}/submissions/1", headers=reviewer(s), params={"check": "C9"})
    assert wrong.status_code == 422


def test_each_checks_first_flagged_interventions_come_in_one_read(reporting_on: ReportingService) -> None:
    s = reporting_on
    seed(s)
    assert s.client.post(f"{URL}/submit", headers=manager(s)).status_code == 200
    flagged = s.client.get(f"{URL}/submissions/1/flagged", headers=reviewer(s), params={"limit": 1})
    assert flagged.status_code == 200, flagged.text
    by_check = flagged.json()["by_check"]
    submitted = s.client.get(f"{URL}/submissions/1", headers=reviewer(s)).json()
    assert set(by_check) == {c for c, n in submitted["by_check"].items() if n}  # checks with findings only
    for check, items in by_check.items():
        alone = s.client.get(
            f"{URL}/submissions/1", headers=reviewer(s), params={"check": check, "limit": 1}
        ).json()["items"]
        assert items == alone  # the same first interventions, flags and all, as the filtered table
    assert s.client.get(f"{URL}/submissions/2/flagged", headers=reviewer(s)).status_code == 404
    too_many = s.client.get(f"{URL}/submissions/1/flagged", headers=reviewer(s), params={"limit": 101})
    assert too_many.status_code == 422
    stranger = s.client.get(f"{URL}/submissions/1/flagged", headers=manager(s, "org-other"))
    assert (stranger.status_code, stranger.json()["code"]) == (404, "report.not_found")  # not theirs


def test_the_history_shows_a_submission_without_validating_its_frozen_items(
    reporting_on: ReportingService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control and report pages read the history on every visit: a submission's step is
    read without its snapshot and findings (2,000 items in a large report), same details."""
    s = reporting_on
    seed(s)
    assert s.client.post(f"{URL}/submit", headers=manager(s)).status_code == 200
    report = s.client.get(URL, headers=reviewer(s)).json()

    def refused(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the submission's frozen items were validated")

    monkeypatch.setattr(report_events.ReportSubmitted, "model_validate", classmethod(refused))
    history = s.client.get(f"{URL}/history", headers=reviewer(s))
    assert history.status_code == 200, history.text
    (step,) = [h for h in history.json() if h["event"] == "ReportSubmitted"]
    assert step["details"] == {
        "submission_version": 1,
        "sha256": report["sha256"],
        "summary": {
            "errors": report["errors"],
            "warnings": report["warnings"],
            "by_check": step["details"]["summary"]["by_check"],
            "blocking": True,
        },
        "late": report["late"],
    }
    assert step["details"]["summary"]["by_check"]["C5"] == 1
