"""What every plot of the report shares: a figure, its file, one palette.

Figures are made with matplotlib's object API (``Figure`` and the Agg canvas),
never ``pyplot``: pyplot keeps global state and picks a backend for the whole
process, and a package that changes globals on import is what the style guide
warns against. Every plot is a PNG beside ``index.html``, so the folder opens
from ``file://`` on a laptop and Snakemake's own report can embed the same files.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from trapline.io import write_atomic

DPI = 110
WIDTH_IN = 10.0
"""Inches: 1,100 pixels wide, readable on a laptop without zooming."""

PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)
"""Okabe and Ito's colour-blind safe colours, in the order plots take them."""

GREY = "#BBBBBB"
MAX_PANELS = 24
"""Most small multiples in one figure (species, animals); the rest are named."""


def plain(text: object) -> str:
    """Season text (a station, species, individual, reason) as matplotlib draws it.

    Names come from folders, tags and tables. matplotlib reads text between two
    ``$`` as TeX math, so ``Cam $A$`` would be drawn as math and ``ST$^{$1`` would
    raise at ``savefig`` and fail the report rule. A backslash before each ``$``
    makes matplotlib draw a plain dollar sign. Escaping the names where they
    enter a figure keeps mathtext for matplotlib's own labels (the log axis's
    10² ticks), which turning mathtext off everywhere would print as TeX source.
    """
    return str(text).replace("$", r"\$")


@dataclass(frozen=True)
class Section:
    """One section of the report: its plot and what a reader should look for.

    Args:
        key: the plot's file stem (``files`` → ``files.png``), also the HTML id.
        title: the section heading.
        look_for: one sentence: what to look for in the plot.
        empty: why there is nothing to plot (None when there is).
        notes: facts a reader needs beside the plot (corrections applied,
            panels left out); plain text, escaped by the page.
    """

    key: str
    title: str
    look_for: str
    empty: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def new_figure(height_in: float, width_in: float = WIDTH_IN) -> Figure:
    """A figure with the Agg canvas attached (no pyplot, no global backend)."""
    figure = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save(figure: Figure, path: Path) -> None:
    """Write ``figure`` as a PNG, atomically (a killed job leaves no half plot)."""
    write_atomic(path, lambda tmp: figure.savefig(tmp, format="png", dpi=DPI))


def save_empty(path: Path, reason: str) -> None:
    """The plot of an empty section: the reason, in words, where the plot would be.

    The file still exists because the rule promises it (and Snakemake's report
    embeds it); its text says why the section is empty, nothing is drawn as data.
    """
    figure = new_figure(1.2)
    figure.text(
        0.5,
        0.5,
        "\n".join(textwrap.wrap(plain(reason), 90)),
        ha="center",
        va="center",
        fontsize=11,
        color="#555555",
    )
    save(figure, path)


def panel_grid(n: int, columns: int = 4) -> tuple[int, int]:
    """Rows and columns of a grid of ``n`` small multiples."""
    columns = max(1, min(columns, n))
    return -(-n // columns), columns


def station_label(station: str, session: str, sessions: int) -> str:
    """A station's axis label: with its session when the season has several."""
    return station if sessions <= 1 else f"{station} ({session})"
