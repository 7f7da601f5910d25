"""Section 1: what became of each station's files.

Every file under ``images_root`` is in exactly one of ``images.parquet`` and
``quarantine.parquet``, so the two bars of a station add up to what its cards
held. Only the counting columns are read, and the counting is a pyarrow
group-by: a season of a million images never becomes a million Python rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from matplotlib.ticker import MaxNLocator

from trapline.report.figures import (
    GREY,
    PALETTE,
    Section,
    new_figure,
    plain,
    save,
)

CONTENTS = ("animal", "person", "vehicle", "empty")
"""Usable images by what the detector saw, each image once: an image with an
animal counts as animal even when a person is in it too, a person before a
vehicle (the order of what a reader is most likely looking for)."""

COLOURS = {"animal": PALETTE[2], "person": PALETTE[4], "vehicle": PALETTE[1]}

_BELOW = {
    "loc": "upper center",
    "bbox_to_anchor": (0.5, -0.14),
    "ncols": 2,
    "fontsize": 8,
    "frameon": False,
}

LOOK_FOR = (
    "Stations whose bars are mostly grey (empty), or that have many quarantined "
    "files, are "
    "where the cards, the clocks or the camera placement need a second look."
)


def usable_by_station(images: Path) -> pd.DataFrame:
    """Usable images per station and content (columns :data:`CONTENTS`)."""
    table = pq.read_table(
        images, columns=["station", "n_animals", "n_persons", "n_vehicles"]
    )
    content = pc.if_else(
        pc.greater(table["n_animals"], 0),
        "animal",
        pc.if_else(
            pc.greater(table["n_persons"], 0),
            "person",
            pc.if_else(pc.greater(table["n_vehicles"], 0), "vehicle", "empty"),
        ),
    )
    counts = (
        pa.table({"station": table["station"], "content": content})
        .group_by(["station", "content"])
        .aggregate([([], "count_all")])
        .to_pandas()
    )
    wide = counts.pivot_table(
        index="station", columns="content", values="count_all", fill_value=0
    )
    return wide.reindex(columns=list(CONTENTS), fill_value=0).astype("int64")


def quarantined_by_station(quarantine: Path) -> pd.DataFrame:
    """Quarantined files per station (rows) and reason (columns).

    Files set aside before a station was known (a folder the layout does not
    name) are counted under ``(no station)``.
    """
    table = pq.read_table(quarantine, columns=["station", "reason"])
    station = pc.fill_null(table["station"], "(no station)")
    counts = (
        pa.table({"station": station, "reason": table["reason"]})
        .group_by(["station", "reason"])
        .aggregate([([], "count_all")])
        .to_pandas()
    )
    if counts.empty:
        return pd.DataFrame(dtype="int64")
    wide = counts.pivot_table(
        index="station", columns="reason", values="count_all", fill_value=0
    )
    order = wide.sum().sort_values(ascending=False).index
    return wide[order].astype("int64")


def files_section(images: Path, quarantine: Path, out: Path) -> Section:
    """Plot usable images by content and quarantined files by reason, per station.

    Args:
        images: ``images.parquet``.
        quarantine: ``quarantine.parquet``.
        out: the PNG to write.
    """
    usable = usable_by_station(images)
    held = quarantined_by_station(quarantine)
    title = "1. Files per station"
    if usable.empty and held.empty:
        return Section("files", title, LOOK_FOR, empty="the season holds no files")
    stations = sorted(set(usable.index) | set(held.index))
    usable = usable.reindex(stations, fill_value=0)
    held = held.reindex(stations, fill_value=0)
    figure = new_figure(2.4 + 0.28 * len(stations))
    left, right = figure.subplots(1, 2, sharey=True, width_ratios=(3, 2))
    y = np.arange(len(stations))
    start = np.zeros(len(stations))
    for content in CONTENTS:
        values = usable[content].to_numpy()
        left.barh(
            y,
            values,
            left=start,
            color=COLOURS.get(content, GREY),
            label=f"{content} ({values.sum():,})",
        )
        start += values
    left.set_title(f"usable images ({int(usable.to_numpy().sum()):,})")
    left.set_xlabel("images")
    left.legend(**_BELOW)
    start = np.zeros(len(stations))
    reds = (
        "#67000D",
        "#A50F15",
        "#D94801",
        "#F16913",
        "#FDAE6B",
        "#8C6D31",
        "#BD9E39",
        "#E7CB94",
        "#7B4173",
        "#CE6DBD",
    )
    for k, reason in enumerate(held.columns):
        values = held[reason].to_numpy()
        right.barh(
            y,
            values,
            left=start,
            color=reds[k % len(reds)],
            label=f"{plain(reason)} ({values.sum():,})",
        )
        start += values
    right.set_title(f"quarantined files ({int(held.to_numpy().sum()):,})")
    right.set_xlabel("files")
    if len(held.columns):
        right.legend(**_BELOW)
    else:
        right.text(0.5, 0.5, "none", transform=right.transAxes, ha="center")
    for axes in (left, right):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    left.set_yticks(y, [plain(s) for s in stations], fontsize=8)
    left.invert_yaxis()
    save(figure, out)
    return Section("files", title, LOOK_FOR)
