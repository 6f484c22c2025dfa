"""The pure parts of make bench's peers (bench/peers): the interleaved rounds and their medians
and ratios, the printed lines bench.revisions reads back, the recorder's figures read from its
output, and the baselines' rows shaped as the project's own tables."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import Table

from bench.peers import baselines, pyeventsourcing
from bench.peers.rounds import Comparison, Figures, compare, cost, line, median, order, summary
from bench.peers.workload import PAYLOAD, sample_message
from bench.revisions import FIGURE
from gsi_kernel.store.tables import events, outbox


def test_rounds_alternate_which_side_goes_first() -> None:
    assert list(order(3)) == [(1, "A"), (1, "B"), (2, "B"), (2, "A"), (3, "A"), (3, "B")]
    assert list(order(0)) == []


def test_compare_runs_each_side_in_turn_and_keeps_its_runs_apart() -> None:
    calls: list[str] = []

    def side(name: str, rate: float) -> Figures:
        calls.append(name)
        return Figures(rate=rate + len(calls), cpu_ms=1.0)

    shown: list[str] = []
    result = compare(("a", lambda: side("a", 100)), ("b", lambda: side("b", 200)), 3, shown.append)
    assert calls == ["a", "b", "b", "a", "a", "b"]
    assert [r.rate for r in result.runs_a] == [101, 104, 105]
    assert [r.rate for r in result.runs_b] == [202, 203, 206]
    assert len(shown) == 6 + 2  # a line per run, then the two medians


def test_the_ratio_is_taken_round_by_round_then_its_median() -> None:
    comparison = Comparison(
        "append",
        "insert",
        runs_a=[Figures(100, 1.0, 0.5), Figures(50, 2.0, 0.5), Figures(90, 1.0, 0.5)],
        runs_b=[Figures(200, 0.25, 0.25), Figures(50, 0.25, 0.25), Figures(300, 0.25, 0.25)],
    )
    assert comparison.ratios() == [0.5, 1.0, 0.3]
    a_line, b_line = summary(comparison)
    # the ratio of the medians would be 90 / 200 = 0.45; the rounds' ratios give 0.50 (0.30–1.00)
    assert "0.50× (0.30–1.00) the rate below" in a_line
    assert "3.00× its CPU per op" in a_line  # (1.0 + 0.5) / (0.25 + 0.25)
    assert b_line.endswith("1.00")


def test_medians_leave_postgresql_out_where_a_run_had_none() -> None:
    assert median([Figures(1, 1.0, None), Figures(3, 3.0, 2.0)]).pg_ms is None
    assert median([Figures(1, 1.0, 1.0), Figures(3, 3.0, 2.0), Figures(2, 2.0, 9.0)]) == Figures(2, 2.0, 2.0)
    assert cost(Figures(1, 0.5)) == 0.5


def test_bench_revisions_reads_the_rate_of_a_printed_line() -> None:
    printed = line("bulk import, 100,000 new streams (+outbox)", Figures(12345.6, 0.05, 0.02), "0.40×")
    match = FIGURE.match(printed)
    assert match is not None
    assert match["label"].strip() == "bulk import, 100,000 new streams (+outbox)"
    assert match["figure"] == "12,346"


def test_the_recorders_figures_are_its_last_line() -> None:
    output = "some warning\n" + json.dumps({"rate": 512.0, "cpu_ms": 1.25, "pg_ms": 0.5}) + "\n"
    assert pyeventsourcing.parse(output) == Figures(512.0, 1.25, 0.5)


def test_the_peer_environment_gets_the_projects_compiled_driver() -> None:
    wanted = pyeventsourcing.requirements()
    assert wanted[0] == f"eventsourcing[postgres]=={pyeventsourcing.VERSION}"
    assert wanted[1].startswith("psycopg[binary]==")


@pytest.mark.parametrize(
    ("table", "columns", "types"),
    [
        (events, baselines.EVENT_COLUMNS, baselines.EVENT_TYPES),
        (outbox, baselines.OUTBOX_COLUMNS, baselines.OUTBOX_TYPES),
    ],
)
def test_the_baselines_write_every_column_the_kernel_writes(
    table: Table, columns: tuple[str, ...], types: tuple[str, ...]
) -> None:
    # every column of the project's table that must have a value and has no default is written,
    # each with its type, and no column the table does not have
    needed = {
        c.name for c in table.columns if not c.nullable and c.server_default is None and not c.primary_key
    }
    assert set(columns) <= {c.name for c in table.columns}
    assert needed <= set(columns)
    assert len(types) == len(columns)


def test_an_event_row_is_shaped_as_the_columns_and_the_payload_is_the_benchs() -> None:
    row = baselines.event_row("import-1", json.dumps(PAYLOAD), datetime.now(UTC))
    assert len(row) == len(baselines.EVENT_COLUMNS)
    as_dict = dict(zip(baselines.EVENT_COLUMNS, row, strict=True))
    assert as_dict["stream_id"] == "import-1"
    assert as_dict["version"] == 1
    assert json.loads(as_dict["payload"]) == PAYLOAD


def test_the_copied_and_produced_messages_are_the_relays() -> None:
    message = sample_message("bench-topic")
    stored = json.loads(message.stored_headers())
    assert [k for k, _ in stored] == [k for k, _ in message.headers]
    assert json.loads(message.value)["data"] == PAYLOAD  # the CloudEvents envelope the relay sends
    rows = list(baselines.outbox_rows(3, message))
    assert [r[2] for r in rows] == ["import-0", "import-1", "import-2"]
    assert len({r[0] for r in rows}) == 3  # a message id each
