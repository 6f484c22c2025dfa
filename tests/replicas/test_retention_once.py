"""Registration's retention job acts once across replicas (issue 22, section 1). Persons are
registered through a replica whose business clock runs 400 days behind (GSI_CLOCK_OFFSET_DAYS,
as a rehearsal sets it): on today's clock they have been inactive for more than the one-year
retention. Two replicas on today's clock then start together; the job's last run is a
checkpoint row taken under lock, so one of them erases the persons, and each person is erased
once — one ``PersonErased`` event each, their personal data gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from gsi_kernel.clock import montreal_date
from tests.people import refugee
from tests.replicas.cluster import Run, until

PERSONS = 8
BEHIND_DAYS = 400

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.kafka]


def test_two_replicas_erase_each_stale_person_once(shared: Run) -> None:
    shared.extra_env["GSI_REGISTRATION_RETENTION_YEARS"] = "1"
    # Its workers off: it neither runs the job nor stamps its last run.
    (past,) = shared.start(
        "registration", 1, GSI_CLOCK_OFFSET_DAYS=str(-BEHIND_DAYS), GSI_RUN_WORKERS="false"
    )
    then = montreal_date(datetime.now(UTC)) - timedelta(days=BEHIND_DAYS)
    token = httpx.post(
        f"{past.url}/dev/token",
        json={"user_id": "karine", "roles": ["org_staff"], "organization": "org-retention"},
        timeout=30,
    )
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    since = (then - timedelta(days=30)).isoformat()
    status = {"status": "government_assisted_refugee", "effective_from": since, "admission_date": since}
    ids = []
    for n in range(PERSONS):
        answer = httpx.post(
            f"{past.url}/persons",
            headers=headers,
            json=refugee(given_name=f"Amina{chr(65 + n)}", status=status),
            timeout=60,
        )
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["person_id"])
    shared.terminate(past)

    shared.start("registration", 2)  # today's clock, together: both run the job at start

    def erased() -> list[tuple[str, int]]:
        return shared.sql(
            "registration",
            "SELECT stream_id, count(*) FROM events WHERE type = 'PersonErased' GROUP BY stream_id",
        )

    until(lambda: len(erased()) == PERSONS, "the stale persons are erased", 90)
    assert sorted(erased()) == sorted((f"person-{i}", 1) for i in ids), "each erased once"
    rows = shared.sql(
        "registration", "SELECT count(*) FROM persons WHERE erased AND person_id = ANY(:ids)", ids=ids
    )
    assert rows[0][0] == PERSONS
