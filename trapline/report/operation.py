"""Section 2: when each station's cameras worked (camtrapR's camera-operation plot).

Read from ``capture/camera_operation.parquet``, one row per station and day
(effort: NA not set up, 0 set up but not working, > 0 working), which is already
the summary: a season of a million images has a few thousand station-days.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from trapline.report.figures import (
    PALETTE,
    Section,
    new_figure,
    plain,
    save,
    station_label,
)

STATES = ("not set up", "problem", "working")
COLOURS = ("#F2F2F2", PALETTE[3], PALETTE[2])

LOOK_FOR = (
    "Red cells are days a camera was set up but not working (the stations "
    "table's problem periods); a station that stops early or starts late holds "
    "fewer occasions for every estimate."
)


def operation_matrix(camera_operation: Path) -> pd.DataFrame:
    """Station (rows) × day (columns): 0 not set up, 1 problem, 2 working."""
    days = pd.read_parquet(
        camera_operation, columns=["Session", "Station", "Date", "effort"]
    )
    state = np.where(days["effort"].isna(), 0, np.where(days["effort"] > 0, 2, 1))
    sessions = days["Session"].nunique()
    days = days.assign(
        state=state,
        row=[
            station_label(s, n, sessions)
            for s, n in zip(days["Station"], days["Session"], strict=True)
        ],
        Date=pd.to_datetime(days["Date"]),
    )
    matrix = days.pivot_table(
        index="row", columns="Date", values="state", aggfunc="max"
    )
    if matrix.empty:
        return matrix
    full = pd.date_range(matrix.columns.min(), matrix.columns.max(), freq="D")
    return matrix.reindex(columns=full).fillna(0).astype("int8")


def operation_section(camera_operation: Path, out: Path) -> Section:
    """Plot the station × day operation matrix.

    Args:
        camera_operation: ``capture/camera_operation.parquet``.
        out: the PNG to write.
    """
    title = "2. Camera operation"
    matrix = operation_matrix(camera_operation)
    if matrix.empty:
        return Section(
            "operation",
            title,
            LOOK_FOR,
            empty="no station has a setup date: the stations table sets no window",
        )
    figure = new_figure(1.6 + 0.28 * len(matrix))
    axes = figure.subplots()
    axes.imshow(
        matrix.to_numpy(),
        aspect="auto",
        interpolation="nearest",
        cmap=ListedColormap(COLOURS),
        vmin=0,
        vmax=2,
    )
    axes.set_yticks(
        np.arange(len(matrix)), [plain(s) for s in matrix.index], fontsize=8
    )
    dates = matrix.columns
    step = max(1, len(dates) // 12)
    ticks = np.arange(0, len(dates), step)
    axes.set_xticks(ticks, [dates[t].strftime("%d %b") for t in ticks], fontsize=8)
    axes.set_xticks(np.arange(-0.5, len(dates)), minor=True)
    axes.set_yticks(np.arange(-0.5, len(matrix)), minor=True)
    axes.grid(which="minor", color="white", linewidth=0.6)
    axes.tick_params(which="minor", length=0)
    counts = {s: int((matrix.to_numpy() == k).sum()) for k, s in enumerate(STATES)}
    axes.legend(
        handles=[
            Patch(facecolor=c, edgecolor="#999999", label=f"{s} ({counts[s]} days)")
            for s, c in zip(STATES, COLOURS, strict=True)
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08),
        ncols=3,
        fontsize=8,
        frameon=False,
    )
    axes.set_title("station × day")
    save(figure, out)
    return Section("operation", title, LOOK_FOR)
