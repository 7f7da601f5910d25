"""Section 3: detections and species on the station map.

The map is the stations' own projected coordinates (metres, equal axes), so it
needs no tiles, no network and no CRS. Counts come from
``capture/detection_history.parquet`` (species × station × occasion, already
summed into independent events), never from the detections themselves.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MaxNLocator

from trapline.report.figures import (
    GREY,
    MAX_PANELS,
    PALETTE,
    Section,
    new_figure,
    panel_grid,
    plain,
    save,
)

LOOK_FOR = (
    "Large circles are stations with many independent detections (spp.: "
    "species seen there); a species "
    "seen at one corner of the grid only may be an edge effect of where the "
    "cameras stood, not where the animals live."
)


def station_points(traps: Path) -> pd.DataFrame:
    """One row per station: ``Station``, ``x``, ``y`` (the first session's)."""
    points = pd.read_parquet(traps, columns=["Detector", "x", "y"])
    points = points.rename(columns={"Detector": "Station"})
    return points.drop_duplicates("Station").dropna(subset=["x", "y"])


def events_by_station(detection_history: Path) -> pd.DataFrame:
    """Independent events per station (rows) and species (columns)."""
    history = pd.read_parquet(
        detection_history, columns=["Species", "Station", "n_events"]
    )
    events = history.groupby(["Station", "Species"])["n_events"].sum().unstack()
    events = events.fillna(0).astype("int64")
    return events[events.sum().sort_values(ascending=False).index]


def sizes(counts: np.ndarray, largest: float) -> np.ndarray:
    """Marker areas: proportional to the count, the largest count 600 pt²."""
    return 600 * counts / max(largest, 1)


def _base(axes: Axes, points: pd.DataFrame) -> None:
    """Every station as a grey cross, on equal axes labelled in kilometres."""
    axes.scatter(points["x"], points["y"], marker="+", color=GREY, s=30, zorder=1)
    axes.set_aspect("equal", adjustable="box")
    axes.margins(0.12)
    for axis in (axes.xaxis, axes.yaxis):
        axis.set_major_locator(MaxNLocator(4))
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:,.1f}"))
    axes.tick_params(labelsize=7)


def map_section(traps: Path, detection_history: Path, out: Path) -> Section:
    """Plot every station's events and species, then one map per species.

    Args:
        traps: ``capture/traps.parquet``.
        detection_history: ``capture/detection_history.parquet``.
        out: the PNG to write.
    """
    title = "3. Detections and species per station"
    points = station_points(traps)
    if points.empty:
        return Section(
            "stations",
            title,
            LOOK_FOR,
            empty="the stations table gives no coordinates (x, y) to map",
        )
    events = events_by_station(detection_history).reindex(points["Station"])
    events = events.fillna(0).astype("int64")
    if events.to_numpy().sum() == 0:
        return Section(
            "stations",
            title,
            LOOK_FOR,
            empty="no animal was detected at any station while it was working",
        )
    species = list(events.columns)
    shown = species[: MAX_PANELS - 1]
    rows, columns = panel_grid(len(shown) + 1, 3)
    figure = new_figure(3.3 * rows)
    grid = figure.subplots(rows, columns, squeeze=False, sharex=True, sharey=True)
    axes = grid.ravel()
    total = events.sum(axis=1).to_numpy()
    richness = (events.drop(columns=["unknown"], errors="ignore") > 0).sum(axis=1)
    _base(axes[0], points)
    axes[0].scatter(
        points["x"],
        points["y"],
        s=sizes(total, total.max()),
        color=PALETTE[0],
        alpha=0.6,
        edgecolor="black",
        linewidth=0.4,
        zorder=2,
    )
    for name, x, y, n in zip(
        points["Station"], points["x"], points["y"], richness, strict=True
    ):
        axes[0].annotate(
            f"{plain(name)}\n{n} spp.",
            (x, y),
            fontsize=6,
            xytext=(4, 4),
            textcoords="offset points",
        )
    axes[0].set_title(f"all species: {int(total.sum()):,} events", fontsize=9)
    largest = events[shown].to_numpy().max()
    for ax, name in zip(axes[1:], shown, strict=False):
        counts = events[name].to_numpy()
        _base(ax, points)
        seen = counts > 0
        ax.scatter(
            points["x"][seen],
            points["y"][seen],
            s=sizes(counts[seen], largest),
            color=PALETTE[2],
            alpha=0.7,
            edgecolor="black",
            linewidth=0.4,
            zorder=2,
        )
        ax.set_title(
            f"{plain(name)}: {int(counts.sum()):,} events, {int(seen.sum())} stations",
            fontsize=9,
        )
    for ax in axes[len(shown) + 1 :]:
        ax.set_visible(False)
    figure.supxlabel("easting (km, stations table x)", fontsize=8)
    figure.supylabel("northing (km, stations table y)", fontsize=8)
    save(figure, out)
    notes = ()
    if len(species) > len(shown):
        notes = (f"Not mapped (fewest events): {', '.join(species[len(shown) :])}.",)
    return Section("stations", title, LOOK_FOR, notes=notes)
