"""The diagram of the two flows: an event becomes a log record, a log record becomes an event."""

from __future__ import annotations

from svgdraw import OURS, QUIET, arrow, box, svg, text

WIDTH, STEP = 215, 250
COLUMNS = [10 + STEP * index for index in range(4)]
BOX_HEIGHT = 56
LATER = "#fff7ed"


def _at(column: int, top: float, lines: list[str], **options: str) -> str:
    return box(COLUMNS[column], top, WIDTH, BOX_HEIGHT, lines, **options)


def _right(column: int) -> float:
    return COLUMNS[column] + WIDTH


def _middle(column: int) -> float:
    return COLUMNS[column] + WIDTH / 2


def flow_diagram() -> str:
    """The SVG markup of the diagram."""
    top, second, third, fourth = 40, 186, 300, 414
    body = [
        text(10, 24, "An event becomes a log record", size=15, bold=True),
        _at(0, top, ["create_event(...)", "acreate_event, create_events,", "Event.objects.create"]),
        _at(1, top, ["Event row", "INSERT in your transaction", "(rolled back: never logged)"]),
        _at(2, top, ["logger", "djangotailoring.tracking.events", "INFO, once, on commit"]),
        _at(3, top, ["Your LOGGING handlers", "console, JSON lines, files,", "syslog, Sentry ..."]),
        *(
            arrow([(_right(column), top + 28), (COLUMNS[column + 1] - 2, top + 28)])
            for column in range(3)
        ),
        text(10, 170, "A log record becomes an event", size=15, bold=True),
        _at(
            0,
            second,
            ["logger.info(...)", "your logger, or structlog", "extra: event_name, user ..."],
        ),
        _at(
            1,
            second,
            ["EventHandler", "the caller copies plain", "values and hands over"],
            stroke=OURS,
        ),
        _at(
            2,
            second,
            ["Journal", "a local file of the process:", "one write(), no fsync"],
            stroke=OURS,
        ),
        _at(
            3,
            second,
            ["Background writer", "its own connection; writes", "within 0.2 s, in batches"],
            stroke=OURS,
        ),
        *(
            arrow([(_right(column), second + 28), (COLUMNS[column + 1] - 2, second + 28)])
            for column in range(3)
        ),
        _at(3, third, ["Batch", "one transaction,", "COPY or multi-row INSERT"], stroke=OURS),
        _at(2, third, ["Event rows", "with a written-batch marker:", "each batch exactly once"]),
        arrow([(_middle(3), second + BOX_HEIGHT), (_middle(3), third - 2)]),
        arrow([(COLUMNS[3], third + 28), (_right(2) + 2, third + 28)]),
        text(
            _right(1) + 20, third + 20, "not logged again on", size=11, anchor="end", colour=QUIET
        ),
        text(_right(1) + 20, third + 36, "the events logger", size=11, anchor="end", colour=QUIET),
        _at(
            1,
            fourth,
            ["Spill file", "the database is away and the", "memory bound is reached"],
            fill=LATER,
            stroke=OURS,
        ),
        _at(
            2,
            fourth,
            ["Replay", "manage.py replay_events,", "or the handler on recovery"],
            fill=LATER,
            stroke=OURS,
        ),
        _at(
            3,
            fourth,
            ["Next process", "replays the journal of", "a process that died"],
            fill=LATER,
            stroke=OURS,
        ),
        arrow(
            [
                (COLUMNS[3] + 30, second + BOX_HEIGHT),
                (COLUMNS[3] + 30, 268),
                (_middle(1), 268),
                (_middle(1), fourth - 2),
            ],
            "database unreachable",
            label_at=1,
            dashed=True,
        ),
        arrow([(_right(1), fourth + 28), (COLUMNS[2] - 2, fourth + 28)], dashed=True),
        arrow([(_middle(2), fourth), (_middle(2), third + BOX_HEIGHT + 2)], dashed=True),
        arrow(
            [(_right(2) - 20, second + BOX_HEIGHT), (COLUMNS[3] + 20, fourth - 2)],
            "process died",
            dashed=True,
            dx=45,
            dy=52,
        ),
        arrow([(_middle(3), fourth), (_middle(3), third + BOX_HEIGHT + 2)], dashed=True),
    ]
    return svg(
        COLUMNS[3] + WIDTH + 10, fourth + BOX_HEIGHT + 14, body, "The two flows of djangotailoring"
    )
