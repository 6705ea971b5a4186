from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET

from djangotailoring.tracking.activity import Activity
from djangotailoring.tracking.charts import activity_chart

SVG = "{http://www.w3.org/2000/svg}"
DAY = datetime.timedelta(days=1)
START = datetime.datetime(2025, 3, 1, tzinfo=datetime.timezone.utc)


def chart(counts: list[int], kind: str = "day") -> ET.Element:
    step = DAY if kind == "day" else datetime.timedelta(hours=1)
    buckets = [(START + i * step, count) for i, count in enumerate(counts)]
    activity = Activity(kind, START, START + len(counts) * step, buckets)
    # Our own markup, parsed to check that it is well-formed.
    return ET.fromstring(str(activity_chart(activity)))  # noqa: S314


def test_one_bar_per_bucket_with_its_count() -> None:
    svg = chart([3, 0, 7])
    bars = svg.findall(f"{SVG}rect")
    assert [bar.get("data-count") for bar in bars] == ["3", "0", "7"]
    assert svg.get("data-total") == "10"


def test_bars_are_as_high_as_their_count() -> None:
    heights = [float(bar.get("height", "")) for bar in chart([5, 10, 0]).findall(f"{SVG}rect")]
    assert heights[1] == 2 * heights[0]
    assert heights[2] == 0


def test_every_bar_says_its_day_and_count() -> None:
    titles = [bar.findtext(f"{SVG}title") for bar in chart([1, 2]).findall(f"{SVG}rect")]
    assert titles == ["Mar 1: 1", "Mar 2: 2"]


def test_hourly_charts_label_hours() -> None:
    titles = [bar.findtext(f"{SVG}title") for bar in chart([4], "hour").findall(f"{SVG}rect")]
    assert titles == ["Mar 1, 00:00: 4"]


def test_a_chart_of_nothing_is_still_valid_svg() -> None:
    svg = chart([0, 0])
    assert svg.get("data-total") == "0"
