"""Line charts of the queue metrics, drawn on the server as SVG: no chart library, no script."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils import timezone

from jobs.selectors import MetricPoint

WIDTH, HEIGHT = 600, 160
NONE = "\u2013"  # an en dash: no value
WINDOWS = {"1h": dt.timedelta(hours=1), "24h": dt.timedelta(hours=24), "7d": dt.timedelta(days=7)}


@dataclass(frozen=True)
class Series:
    name: str
    css: str  # the stroke's class
    points: str  # SVG polyline points
    last: str  # the latest value, formatted


@dataclass(frozen=True)
class Chart:
    title: str
    series: list[Series]
    top: str  # the value at the top of the chart, formatted
    start: str
    end: str
    empty: bool


Value = Callable[[MetricPoint], float | None]


def chart(
    title: str,
    points: Sequence[MetricPoint],
    lines: Sequence[tuple[str, str, Value]],
    *,
    window: dt.timedelta,
    now: dt.datetime,
    unit: Callable[[float], str],
) -> Chart:
    """One chart of `lines` (name, css class, value of a point) over the window ending now."""
    start = now - window
    values = [v for _, _, get in lines for p in points if (v := get(p)) is not None]
    top = max(values, default=0.0) or 1.0
    series = [
        Series(
            name,
            css,
            _polyline(points, get, start=start, window=window, top=top),
            _last(points, get, unit),
        )
        for name, css, get in lines
    ]
    fmt = "%H:%M" if window <= dt.timedelta(days=1) else "%d %b"
    return Chart(
        title=title,
        series=series,
        top=unit(top),
        start=timezone.localtime(start).strftime(fmt),
        end=timezone.localtime(now).strftime(fmt),
        empty=not values,
    )


def _polyline(
    points: Sequence[MetricPoint],
    get: Value,
    *,
    start: dt.datetime,
    window: dt.timedelta,
    top: float,
) -> str:
    coords = []
    for point in points:
        value = get(point)
        if value is None:
            continue
        x = (point.at - start) / window * WIDTH
        y = HEIGHT - value / top * (HEIGHT - 4)
        coords.append(f"{x:.1f},{y:.1f}")
    return " ".join(coords)


def _last(points: Sequence[MetricPoint], get: Value, unit: Callable[[float], str]) -> str:
    for point in reversed(points):
        value = get(point)
        if value is not None:
            return unit(value)
    return NONE


def per_minute(value: float) -> str:
    return f"{value:,.1f}/min"


def milliseconds(value: float) -> str:
    return f"{value / 1000:,.1f} s" if value >= 1000 else f"{value:,.0f} ms"


def percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def metric_charts(points: Sequence[MetricPoint], *, window: dt.timedelta) -> list[Chart]:
    """The overview's charts: throughput, wait time, run time, error rate."""
    now = timezone.now()

    def draw(
        title: str, lines: Sequence[tuple[str, str, Value]], unit: Callable[[float], str]
    ) -> Chart:
        return chart(title, points, lines, window=window, now=now, unit=unit)

    return [
        draw(
            "Throughput", [("jobs finished", "s1", lambda p: p.throughput_per_minute)], per_minute
        ),
        draw(
            "Wait time",
            [("p50", "s1", lambda p: p.wait_p50_ms), ("p95", "s2", lambda p: p.wait_p95_ms)],
            milliseconds,
        ),
        draw(
            "Run time",
            [("p50", "s1", lambda p: p.run_p50_ms), ("p95", "s2", lambda p: p.run_p95_ms)],
            milliseconds,
        ),
        draw("Error rate", [("failed share", "s3", lambda p: p.error_rate)], percent),
    ]
