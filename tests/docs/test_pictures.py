"""The documentation's pictures are drawn from code and from the benchmarks' JSON output."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from tests.docs.docfiles import DOCS

sys.path.insert(0, str(DOCS / "_ext"))

import pictures

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ET.Element]:
    out = tmp_path_factory.mktemp("pictures")
    # Our own markup, parsed to check that it is well-formed.
    return {path.name: ET.parse(path).getroot() for path in pictures.draw(out)}  # noqa: S314


def data(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DOCS / "_data" / name).read_text(encoding="utf-8"))
    return loaded


def bars_of(svg: ET.Element) -> list[float]:
    return [
        float(bar.get("data-value", "nan"))
        for bar in svg.iter(f"{SVG}rect")
        if bar.get("class") == "bar"
    ]


def test_every_picture_is_drawn_as_svg(drawn: dict[str, ET.Element]) -> None:
    assert sorted(drawn) == ["flow.svg", "servers.svg", "write-path.svg"]
    assert all(root.tag == f"{SVG}svg" for root in drawn.values())


def test_the_flow_diagram_shows_both_flows_and_the_fallbacks(drawn: dict[str, ET.Element]) -> None:
    words = " ".join(node.text or "" for node in drawn["flow.svg"].iter(f"{SVG}text"))
    for step in (
        "create_event(...)",
        "djangotailoring.tracking.events",
        "EventHandler",
        "Journal",
        "Background writer",
        "Batch",
        "Spill file",
        "Replay",
    ):
        assert step in words


def test_the_write_chart_draws_every_measured_case(drawn: dict[str, ET.Element]) -> None:
    results = data("write-path.json")
    drawn_values = bars_of(drawn["write-path.svg"])
    measured = [
        case["total_us"] for database in results["databases"] for case in database["write"]["cases"]
    ]
    assert measured
    assert all(value in drawn_values for value in measured)


def test_the_server_chart_draws_the_p99_of_every_case(drawn: dict[str, ET.Element]) -> None:
    results = data("servers.json")
    expected = sorted(
        run["load"]["latency_us"]["p99"] / 1e3
        for config in results["configs"]
        for run in config["runs"]
        if "load" in run
    )
    # One round per case in the committed run: each bar is that round's p99.
    assert sorted(bars_of(drawn["servers.svg"])) == expected
