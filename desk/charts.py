"""Charts as plain data, for the macros of templates/charts.html that draw them.

A chart here holds only what a reader sees: its title, the labels (already in the reader's
language) and the numbers. Where the numbers come from is the dashboard's business
(desk/figures.py, desk/dashboard.py); how they are drawn, as inline SVG with a table for screen
readers, is the macros'.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    """One bar: its name as the reader sees it, and the number it stands for."""

    label: str
    count: int


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, each labelled with its name and number (so no legend is needed). Its
    table names the bars under `heading` and their numbers under `count_heading`."""

    title: str
    heading: str
    count_heading: str
    bars: tuple[Bar, ...]

    @property
    def top(self) -> int:
        """The count the longest bar stands for (at least 1: an empty chart has no bars)."""
        return max([bar.count for bar in self.bars] + [1])


@dataclass(frozen=True)
class Series:
    """One kind of segment in stacked bars: its name in the legend and its fill, the id of an
    SVG pattern on the page (a pattern as well as a colour, so series differ without colour)."""

    label: str
    pattern: str


@dataclass(frozen=True)
class Stack:
    """One column of stacked bars: a count per series of the chart, stacked from the bottom."""

    name: str  # in each segment's tooltip, e.g. "2026-W45"
    tick: str  # under the column, e.g. "W45"
    row: str  # the column's row in the table, e.g. "2026-W45 (from 2026-11-02)"
    counts: tuple[int, ...]


@dataclass(frozen=True)
class StackedBars:
    """Vertical stacked bars with a value axis and a legend. Its table has a row per stack
    (`heading` over their names) and a column per series."""

    title: str
    heading: str
    legend: str
    series: tuple[Series, ...]
    stacks: tuple[Stack, ...]

    @property
    def top(self) -> int:
        """The highest stack's total (at least 1, so that an empty chart has an axis)."""
        return max([sum(stack.counts) for stack in self.stacks] + [1])

    @property
    def ticks(self) -> list[int]:
        """The values marked on the axis: zero, the middle and the top."""
        return sorted({0, self.top // 2, self.top})


def coord(value: float) -> str:
    """An SVG coordinate to a tenth, without a trailing ".0" (the charts' filter `coord`)."""
    return f"{value:.1f}".removesuffix(".0")
