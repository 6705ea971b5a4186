"""Turning the results into Markdown tables, ratios and PASS/FAIL lines for the targets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Cost ratios are reported against these cases (value / reference, lower is cheaper).
REFERENCES = (
    ("null", "x Null"),
    ("file", "x File"),
    ("bulk_create", "x bulk"),
    ("db_logger", "x db-logger"),
)
#: End-to-end throughput of the background EventHandler over bulk_create, per vendor.
BULK_TARGET = {"sqlite": 1.0, "postgresql": 2.0}
# A log call to EventHandler costs the caller at most this much more than to NullHandler.
CALLER_TARGET = 1.2
# EventHandler's end-to-end cost per event on PostgreSQL, against a bare COPY of the rows.
COPY_TARGET = 2.0
DB_LOGGER_TARGET = 30.0
CREATE_EVENT_TARGET = 1.3


@dataclass
class Summary:
    text: str = ""
    targets: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _ratio(value: float | None, reference: float | None) -> str:
    if value is None or reference is None or reference <= 0:
        return "-"
    return f"{value / reference:.2f}x"


def _checked(case: dict[str, Any], events: int, rounds: int, counted: bool) -> str:
    if case["failures"]:
        return f"FAILED in {len(case['failures'])}/{rounds} rounds"
    return f"{events:,} x {rounds}" if counted and case["verified_rows"] else "n/a"


def _spread(samples: list[float]) -> str:
    return f"{min(samples):,.1f}-{max(samples):,.1f}" if samples else "-"


def _rows(write: dict[str, Any]) -> list[tuple[str, float | None, str, str]]:
    """(label, median µs/event, min-max over rounds, rows checked) for each table line."""
    events, rounds = write["events"], write["rounds"]
    rows = []
    for case in write["cases"]:
        checked = _checked(case, events, rounds, True)
        total = (case["total_us"], _spread(case["total_samples"]))
        if case["key"] in ("eventhandler_background", "eventhandler_background_nojournal"):
            caller = (case["caller_us"], _spread(case["caller_samples"]))
            rows.append((case["label"] + ", caller", *caller, "(see end-to-end)"))
            rows.append((case["label"] + ", end-to-end", *total, checked))
        else:
            rows.append((case["label"], *total, checked))
    return rows


def write_table(write: dict[str, Any]) -> str:
    """The write path of one database as a Markdown table."""
    by_key = {case["key"]: case for case in write["cases"]}
    references = [(by_key.get(key, {}).get("total_us"), title) for key, title in REFERENCES]
    header = [
        "case",
        "us/event",
        "min-max",
        "events/s",
        *(title for _, title in references),
        "rows checked",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, micros, spread, checked in _rows(write):
        cells = [
            label,
            "-" if micros is None else f"{micros:,.1f}",
            spread,
            "-" if not micros else f"{1e6 / micros:,.0f}",
            *(_ratio(micros, reference) for reference, _ in references),
            checked,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def counters(write: dict[str, Any]) -> list[str]:
    """The EventHandler counters of each handler case's last round, as Markdown lines."""
    lines = []
    for case in write["cases"]:
        if case["details"]:
            facts = ", ".join(f"{key}={value:,}" for key, value in case["details"].items())
            lines.append(f"- {case['label']}, last round: {facts}")
    return ["", *lines] if lines else []


def _target(database: str, title: str, passed: bool | None, detail: str) -> dict[str, Any]:
    return {"database": database, "target": title, "passed": passed, "detail": detail}


def write_targets(name: str, vendor: str, write: dict[str, Any]) -> list[dict[str, Any]]:
    """Judge the write-path targets of one database."""
    cases = {case["key"]: case for case in write["cases"]}

    def micros(key: str, which: str = "total_us") -> float | None:
        case = cases.get(key)
        return None if case is None or case["failures"] else case[which]

    def judged(title: str, needs: list[float | None], test: Any, detail: Any) -> dict[str, Any]:
        if any(value is None for value in needs):
            missing = "EventHandler" if micros("eventhandler_background") is None else "a case"
            return _target(name, title, False, f"not measured ({missing} missing or failed)")
        return _target(name, title, bool(test()), detail())

    caller, total = (
        micros("eventhandler_background", "caller_us"),
        micros("eventhandler_background"),
    )
    file_, null, bulk, db_logger = (
        micros("file"),
        micros("null"),
        micros("bulk_create"),
        micros("db_logger"),
    )
    wanted = BULK_TARGET[vendor]
    ours, raw = micros("create_event"), micros("orm_create")
    check = write["insert_checks"]["create_event"]
    copy = micros("copy")
    copy_targets = []
    if vendor == "postgresql":
        copy_targets.append(
            judged(
                f"EventHandler (background) end-to-end <= {COPY_TARGET:.0f}x COPY",
                [total, copy],
                lambda: total <= COPY_TARGET * copy,
                lambda: f"{total / copy:.2f}x ({total:.1f} us vs COPY {copy:.1f} us per event)",
            )
        )
    bare = micros("eventhandler_background_nojournal", "caller_us")
    return [
        judged(
            f"EventHandler (background, journal=False) caller cost <= {CALLER_TARGET}x NullHandler",
            [bare, null],
            lambda: bare <= CALLER_TARGET * null,
            lambda: f"{bare / null:.2f}x ({bare:.1f} us vs NullHandler {null:.1f} us)",
        ),
        *copy_targets,
        judged(
            "EventHandler (background, journal on: the default) caller cost <= FileHandler",
            [caller, file_, null],
            lambda: caller <= file_,
            lambda: (
                f"{caller:.1f} us vs FileHandler {file_:.1f} us "
                f"({caller / file_:.2f}x File, {caller / null:.2f}x Null)"
            ),
        ),
        judged(
            f"EventHandler (background) end-to-end >= {wanted:.1f}x bulk_create throughput",
            [total, bulk],
            lambda: bulk / total >= wanted,
            lambda: f"{bulk / total:.2f}x ({total:.1f} us vs {bulk:.1f} us per event)",
        ),
        judged(
            f"EventHandler (background) end-to-end >= {DB_LOGGER_TARGET:.0f}x django-db-logger",
            [total, db_logger],
            lambda: db_logger / total >= DB_LOGGER_TARGET,
            lambda: f"{db_logger / total:.1f}x ({total:.1f} us vs {db_logger:.1f} us per event)",
        ),
        judged(
            f"create_event <= {CREATE_EVENT_TARGET}x raw Model.objects.create",
            [ours, raw],
            lambda: ours / raw <= CREATE_EVENT_TARGET,
            lambda: f"{ours / raw:.2f}x ({ours:.1f} us vs {raw:.1f} us per event)",
        ),
        _target(
            name,
            "create_event issues exactly one INSERT",
            check["inserts"] == 1 and check["queries"] == 1,
            f"{check['inserts']} INSERT, {check['queries']} statements "
            f"(+{check['savepoints']} savepoint statements)",
        ),
    ]


TABLE_STEPS = ("export", "prune", "partition")
PRUNE_LOCK_TARGET_MS = 100
#: The peak memory of the largest export may exceed the smallest's by this factor at most.
EXPORT_MEMORY_GROWTH = 1.1


def read_table(read: dict[str, Any]) -> str:
    """The read path as a Markdown table."""
    header = [
        "query",
        f"median ms ({read['events']:,} events)",
        "target",
        "queries",
        "index used",
        "checked",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for case in read["cases"]:
        lines.append(
            "| "
            + " | ".join(
                [
                    case["label"],
                    f"{case['median_ms']:.2f}",
                    f"< {case['target_ms']:.0f} ms" if case.get("target_ms") else "-",
                    str(case["queries"]),
                    _index_verdict(case),
                    case["verified"],
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def _index_verdict(case: dict[str, Any]) -> str:
    if case["seq_scans"]:
        return "NO: " + ", ".join(case["seq_scans"])
    return "yes" if case["uses_index"] else "NO: a statement reads no index of the table"


def read_targets(name: str, read: dict[str, Any]) -> list[dict[str, Any]]:
    """Judge the read-path targets: indexes used, medians, admin query counts flat."""
    targets = []
    for case in read["cases"]:
        targets.append(
            _target(
                name,
                f"{case['label']}: every plan reads an index, none a Seq Scan of the table",
                case["uses_index"],
                _index_verdict(case),
            )
        )
    for case in read["cases"]:
        if case.get("target_ms"):
            targets.append(
                _target(
                    name,
                    f"{case['label']}: median < {case['target_ms']:.0f} ms",
                    case["median_ms"] < case["target_ms"],
                    f"{case['median_ms']:.1f} ms at {read['events']:,} events",
                )
            )
    for page in read["admin_query_counts"]:
        small, large = page["small"], page["large"]
        targets.append(
            _target(
                name,
                f"{page['label']}: query count does not grow with the table",
                small == large,
                f"{small} queries at {read['small_events']:,} events, "
                f"{large} at {read['events']:,}",
            )
        )
    return targets


def table_checks(name: str, table: dict[str, Any]) -> list[str]:
    """The row counts of the export, prune and partition steps that did not add up."""
    failed = [
        f"{name}: {step} failed: {result['error']}"
        for step, result in table.items()
        if isinstance(result, dict) and "error" in result
    ]
    if failed or len(table) < len(TABLE_STEPS):
        return failed or [f"{name}: a step of the large table did not run"]
    errors = []
    for run in table["export"]:
        if run["status"] != 0 or run["rows"] != run["expected"]:
            errors.append(
                f"{name}: export_events wrote {run['rows']:,} of {run['expected']:,} events "
                f"(exit status {run['status']})"
            )
    for prune in table["prune"]:
        if prune["deleted"] != prune["expected"]:
            errors.append(
                f"{name}: prune_events deleted {prune['deleted']:,}, not {prune['expected']:,}"
            )
        if prune["events_after_refill"] != prune["events_before"]:
            errors.append(f"{name}: the pruned events were not all copied back")
    part = table["partition"]
    if part["relkind"] != "p" or part["events_converted"] != part["events_before"]:
        errors.append(
            f"{name}: the recipe left relkind {part['relkind']!r} and "
            f"{part['events_converted']:,} of {part['events_before']:,} events"
        )
    if part["events_converted"] - part["events_after_drop"] != part["month_events"]:
        errors.append(
            f"{name}: dropping {part['month']} removed "
            f"{part['events_converted'] - part['events_after_drop']:,} events, "
            f"not its {part['month_events']:,}"
        )
    return errors


def table_targets(name: str, table: dict[str, Any]) -> list[dict[str, Any]]:
    """Judge prune's locks (each batch size) and the export's memory."""
    prunes = [_prune_target(name, prune) for prune in table["prune"]]
    exports = [run for run in table["export"] if run["size"]]
    if len(exports) < 2:  # constant memory needs two sizes of export to compare
        return prunes
    smallest, largest = exports[0], exports[-1]
    bare = table["export"][0]["peak_rss_mib"]
    return [
        *prunes,
        _target(
            name,
            f"export_events at constant memory: peak RSS at {largest['rows']:,} events "
            f"<= {EXPORT_MEMORY_GROWTH}x that at {smallest['rows']:,}",
            largest["peak_rss_mib"] <= EXPORT_MEMORY_GROWTH * smallest["peak_rss_mib"],
            f"{largest['peak_rss_mib']:.0f} MiB vs {smallest['peak_rss_mib']:.0f} MiB "
            f"(the same command exporting nothing: {bare:.0f} MiB)",
        ),
    ]


def _commit(prune: dict[str, Any]) -> str:
    how = [] if prune["synchronous_commit"] else ["synchronous_commit off"]
    if not prune.get("lock_budget", True):
        how.append("--lock-budget 0")
    return f" ({', '.join(how)})" if how else ""


def _longest_hold_ms(prune: dict[str, Any]) -> float:
    """The longest any lock was held: a committed batch's transaction, a statement (a batch
    cancelled at the lock budget holds its locks until its rollback), or what ``pg_locks``
    showed."""
    return max(
        prune["longest_transaction_ms"],
        *prune["longest_statement_ms"].values(),
        *prune["watched_longest_lock_ms"].values(),
    )


def _prune_target(name: str, prune: dict[str, Any]) -> dict[str, Any]:
    watched = prune["watched_longest_lock_ms"]
    return _target(
        name,
        f"prune_events of {prune['deleted']:,} events, --batch-size {prune['batch_size']:,}"
        f"{_commit(prune)}: "
        f"no batch holds its locks > {PRUNE_LOCK_TARGET_MS} ms",
        _longest_hold_ms(prune) <= PRUNE_LOCK_TARGET_MS,
        f"longest batch transaction {prune['longest_transaction_ms']:.0f} ms "
        f"(median {prune['median_transaction_ms']:.0f} ms; {prune['over_target']} of "
        f"{prune['batches']} batches over {PRUNE_LOCK_TARGET_MS} ms; "
        f"{prune.get('cancelled_batches', 0)} cancelled at the budget and retried; longest "
        f"DELETE {prune['longest_statement_ms'].get('DELETE', 0.0):.0f} ms); seen from pg_locks: "
        + ", ".join(f"{mode} {held:.0f} ms" for mode, held in watched.items()),
    )


def steps_table(read: dict[str, Any]) -> str:
    """How long each step of the read path took, as a Markdown table."""
    rows = [(f"fill: {step}", seconds) for step, seconds in read["fill_seconds"].items()]
    rows += [(f"read: {case['label']}", case["seconds"]) for case in read["cases"]]
    table = read.get("table")
    if table and len(table) == len(TABLE_STEPS) and not any("error" in v for v in table.values()):
        rows += [
            (
                f"export_events of {run['rows']:,} events ({run['peak_rss_mib']:.0f} MiB peak)",
                run["seconds"],
            )
            for run in table["export"]
        ]
        part = table["partition"]
        for prune in table["prune"]:
            rows += [
                (
                    f"prune_events of {prune['deleted']:,} events, batches of "
                    f"{prune['batch_size']:,}{_commit(prune)}",
                    prune["seconds"],
                ),
                (
                    f"copy {prune['deleted']:,} events back (indexes in place)",
                    prune["refill_seconds"],
                ),
            ]
        rows += [
            (f"partitioning recipe on {part['events_before']:,} events", part["convert_seconds"]),
            ("ANALYZE of the partitioned table", part["analyze_seconds"]),
            (
                f"drop the partition of {part['month']} ({part['month_events']:,} events)",
                part["drop_seconds"],
            ),
        ]
    lines = ["| step | seconds |", "|---|---|"]
    lines += [f"| {label} | {seconds:,.2f} |" for label, seconds in rows]
    if rows and table and "partition" in table and "error" not in table["partition"]:
        lines += ["", "Slowest statements of the partitioning recipe:", ""]
        lines += [
            f"- {statement['seconds']:,.2f} s: `{statement['sql'][:120]}`"
            for statement in table["partition"]["slowest_statements"]
        ]
    return "\n".join(lines)


def plans(read: dict[str, Any]) -> str:
    """Every EXPLAIN plan of the read path, as Markdown code blocks."""
    parts = []
    for case in read["cases"]:
        for number, plan in enumerate(case["plans"], 1):
            title = f"#### {case['label']} (query {number})"
            parts.append(f"{title}\n\n```\n{plan['sql']}\n\n{plan['plan']}\n```")
    return "\n\n".join(parts)


def render(results: dict[str, Any]) -> Summary:
    """The whole report: machine facts, tables, plans and the PASS/FAIL summary."""
    summary = Summary()
    smoke = results["config"]["smoke"]
    machine = results["machine"]
    out = [
        "# djangotailoring benchmarks",
        "",
        f"Python {machine['python']}, Django {machine['django']}, {machine['cores']} cores, "
        f"{machine['platform']}",
    ]
    for database in results["databases"]:
        name = database["name"]
        if "error" in database:
            summary.errors.append(f"{name}: {database['error']}")
            out += ["", f"## {name}: FAILED ({database['error']})"]
            continue
        facts = ", ".join(f"{key}={value}" for key, value in database["database"].items())
        out += ["", f"## {name} ({facts})"]
        if "write" in database:
            write = database["write"]
            out += [
                "",
                f"### Write path: {write['events']:,} events per case, median of "
                f"{write['rounds']} interleaved rounds",
                "",
                write_table(write),
                *counters(write),
            ]
            summary.targets += write_targets(name, database["vendor"], write)
            summary.errors += [
                f"{name}: {failure}" for case in write["cases"] for failure in case["failures"]
            ]
        if "read" in database:
            read = database["read"]
            out += [
                "",
                f"### Read path: {read['events']:,} events, {read['users']:,} users, "
                f"{read['names']} names",
                "",
                read_table(read),
                "",
                "#### Steps and their times",
                "",
                steps_table(read),
                "",
                plans(read),
            ]
            summary.targets += read_targets(name, read)
            if read.get("table"):
                checks = table_checks(name, read["table"])
                summary.errors += checks
                if not checks:
                    summary.targets += table_targets(name, read["table"])
    out += ["", "## Targets", ""]
    if smoke:
        out.append("(smoke run: sizes too small to judge; every case's rows were verified)")
    for target in summary.targets:
        if smoke:
            target["passed"] = None
        verdict = {True: "PASS", False: "FAIL", None: "----"}[target["passed"]]
        out.append(f"- {verdict} [{target['database']}] {target['target']}: {target['detail']}")
    for error in summary.errors:
        out.append(f"- ERROR {error}")
    summary.text = "\n".join(out)
    return summary
