"""The benchmark suite runs end to end at a tiny size, so it never rots.

Nothing here judges timings: the smoke run checks that every case stored every event it was
given and that the read path answered correctly. It needs the peers (the ``bench`` extra).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.benchmarkruns import SUFFIX, run_benchmark

# The benchmarks live beside the tests in the repository, not in the package.
cli = pytest.importorskip("benchmarks.cli", reason="the benchmarks/ folder is not here")
writecases = pytest.importorskip("benchmarks.writecases")
MISSING = cli.missing_peers()

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(MISSING),
        reason=f"benchmark peers not installed ({', '.join(MISSING)}); "
        'install them with: pip install -e ".[bench]"',
    ),
]

PEER_AND_RAW_CASES = {"null", "file", "db_logger", "pinax", "orm_create", "bulk_create"}
OUR_CASES = {"create_event"} | (
    {"eventhandler_immediate", "eventhandler_background", "eventhandler_background_nojournal"}
    if writecases.eventhandler_available()
    else set()
)


def smoke_run(database: str, tmp_path: Path) -> dict[str, Any]:
    return run_benchmark(
        "benchmarks",
        database,
        tmp_path,
        "--smoke",
        "--pg-name",
        f"djangotailoring_bench_smoke{SUFFIX}",
    )


def verified_cases(result: dict[str, Any]) -> set[str]:
    return {case["key"] for case in result["write"]["cases"] if case["verified_rows"]}


def test_sqlite_smoke_run_stores_every_event_of_every_case(tmp_path: Path) -> None:
    result = smoke_run("sqlite", tmp_path)

    assert verified_cases(result) == (PEER_AND_RAW_CASES - {"null"}) | OUR_CASES


@pytest.fixture(scope="module")
def postgres_result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return smoke_run("postgres", tmp_path_factory.mktemp("bench"))


@pytest.mark.postgres
def test_postgres_smoke_run_stores_every_event_including_copy(
    postgres_result: dict[str, Any],
) -> None:
    assert verified_cases(postgres_result) == (PEER_AND_RAW_CASES - {"null"}) | OUR_CASES | {"copy"}


@pytest.mark.postgres
def test_postgres_smoke_run_checks_every_read_query(postgres_result: dict[str, Any]) -> None:
    assert [case["label"] for case in postgres_result["read"]["cases"] if case["verified"]] == [
        "Event.events_related_to(obj)",
        "Event.events_related_to(obj)[:50]",
        "for_user(u).named(n).latest()",
        "LatestEventMixin.latest_event()",
        "LatestEventMixin.latest_event(name)",
        "admin changelist + chart, first page",
        "admin changelist + chart, filtered by name",
        "admin object timeline",
        "admin user timeline",
        "admin object page with EventInline",
    ]


def test_every_write_case_has_a_key_that_cases_can_pick() -> None:
    # A burst beyond the default queue adds the case with every default.
    cases = writecases.build_cases("postgresql", 100_000)
    try:
        assert {case.key for case in cases} == set(writecases.CASE_KEYS)
    finally:
        for case in cases:
            case.close()


def test_cases_runs_only_the_cases_named(tmp_path: Path) -> None:
    result = run_benchmark(
        "benchmarks", "sqlite", tmp_path, "--smoke", "--no-read", "--cases", "null,file"
    )
    assert [case["key"] for case in result["write"]["cases"]] == ["null", "file"]
    assert verified_cases(result) == {"file"}


def test_an_unknown_case_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.parse_args(["--cases", "null,nosuchcase"])
    assert exit_info.value.code == 2
    assert "unknown write case(s): nosuchcase" in capsys.readouterr().err


@pytest.mark.postgres
def test_postgres_smoke_run_reads_every_plan_through_an_index_or_says_not(
    postgres_result: dict[str, Any],
) -> None:
    assert all(isinstance(case["uses_index"], bool) for case in postgres_result["read"]["cases"])
    assert postgres_result["read"]["fill_seconds"].keys() == {
        "copy",
        "indexes",
        "foreign_keys",
        "vacuum_analyze",
    }


@pytest.mark.postgres
def test_postgres_smoke_run_exports_prunes_and_partitions_the_read_table(
    postgres_result: dict[str, Any],
) -> None:
    table = postgres_result["read"]["table"]
    assert [run["size"] for run in table["export"]] == [0, 100, 1_000]
    assert all(run["rows"] == run["expected"] for run in table["export"])
    assert [(prune["batch_size"], prune["lock_budget"]) for prune in table["prune"]] == [
        (50, True),
        (20, True),
        (50, False),
    ]
    for prune, batches in zip(table["prune"], [4, 10, 4], strict=True):
        assert prune["deleted"] == prune["expected"] == 200
        assert prune["batches"] == len(prune["transactions_ms"])
        if prune["lock_budget"]:  # a slow batch on a busy machine makes the next smaller
            assert prune["batches"] >= batches
        else:
            assert prune["batches"] == batches
        assert prune["events_after_refill"] == prune["events_before"]
    partition = table["partition"]
    assert partition["relkind"] == "p"
    assert partition["events_converted"] == partition["events_before"]
    removed = partition["events_converted"] - partition["events_after_drop"]
    assert removed == partition["month_events"] > 0


def test_prune_batch_flags_are_parsed_and_unknown_ones_refused() -> None:
    assert cli._prune_batch("10000") == (10_000, True, True)
    assert cli._prune_batch("2000:async") == (2_000, False, True)
    assert cli._prune_batch("10000:nobudget:async") == (10_000, False, False)
    with pytest.raises(SystemExit, match="unknown flag"):
        cli._prune_batch("10000:fast")


def test_a_prune_verdict_counts_the_longest_hold_of_any_kind() -> None:
    from benchmarks import report

    prune = {
        "longest_transaction_ms": 19.0,
        "longest_statement_ms": {"DELETE": 171.0, "SELECT": 14.0},
        "watched_longest_lock_ms": {"RowExclusiveLock": 170.0},
    }
    assert report._longest_hold_ms(prune) == 171.0
