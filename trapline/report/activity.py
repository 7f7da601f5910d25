"""Section 4: when each species is active, on the corrected clock.

A record is a sequence (a burst of one camera, ``sequences.parquet``) with the
species counted in it (``species_counts.parquet`` at level ``sequence``): far
fewer rows than images, and one burst of twenty frames is one record, not twenty.
The time is the sequence's first image's corrected time (EXIF plus the camera's
clock offset, in the configured zone), and the section says which corrections
were applied: a plot of activity on a camera clock two hours fast is wrong by
two hours, and a reader has to be able to see that it is not.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from trapline.report.figures import (
    MAX_PANELS,
    PALETTE,
    Section,
    new_figure,
    panel_grid,
    plain,
    save,
)

KAPPA = 8.0
"""Von Mises kernel concentration: a bandwidth of about 1.4 h (1/sqrt(κ) rad)."""

LOOK_FOR = (
    "Peaks are the hours a species passes the cameras; a target species active "
    "at night photographed mostly by day (or the reverse) points to a clock "
    "that was set wrong."
)


def sequence_records(sequences: Path, species_counts: Path) -> pd.DataFrame:
    """``species``, ``start`` (corrected, tz-aware) per sequence and species."""
    counts = pq.read_table(
        species_counts,
        columns=["id", "species"],
        filters=[("level", "==", "sequence")],
    ).to_pandas()
    starts = pd.read_parquet(sequences, columns=["sequence_id", "start"])
    return counts.merge(starts, left_on="id", right_on="sequence_id")[
        ["species", "start"]
    ]


def hour_of_day(times: pd.Series) -> np.ndarray:
    """Local clock hours, 0 ≤ h < 24, fractional."""
    return (
        times.dt.hour.to_numpy()
        + times.dt.minute.to_numpy() / 60
        + times.dt.second.to_numpy() / 3600
    )


def circular_density(hours: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Kernel density of ``hours`` on the 24-h circle (von Mises kernel), per hour.

    Circular, so that 23:30 and 00:30 are neighbours; integrates to 1 over 24 h.
    """
    theta = 2 * np.pi * np.asarray(hours)[None, :] / 24
    at = 2 * np.pi * grid[:, None] / 24
    kernel = np.exp(KAPPA * np.cos(at - theta)) / (2 * np.pi * np.i0(KAPPA))
    return kernel.mean(axis=1) * 2 * np.pi / 24


def corrections(deployments: Path, zone: str) -> tuple[str, ...]:
    """The time corrections applied, in words: the zone and each clock offset."""
    table = pd.read_parquet(deployments, columns=["deployment_id", "clock_offset_s"])
    shifted = table[table["clock_offset_s"].fillna(0) != 0]
    notes = [
        f"Times are local clock time in {zone} (config timezone): each image's "
        "EXIF time with its camera's clock offset added."
    ]
    if shifted.empty:
        notes.append("No camera had a clock offset (stations table Clock_offset).")
    else:
        listed = [
            f"{d} {_signed(s)}"
            for d, s in zip(
                shifted["deployment_id"], shifted["clock_offset_s"], strict=True
            )
        ]
        notes.append(
            f"Clock offsets added ({len(listed)} of {len(table)} deployments): "
            + ", ".join(listed[:20])
            + (", …" if len(listed) > 20 else "")
            + "."
        )
    return tuple(notes)


def _signed(seconds: float) -> str:
    sign = "+" if seconds >= 0 else "−"
    whole = int(round(abs(seconds)))
    return f"{sign}{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def activity_section(
    sequences: Path, species_counts: Path, deployments: Path, out: Path
) -> Section:
    """Plot each species' time of day: an hourly histogram and a circular density.

    Args:
        sequences: ``sequences.parquet``.
        species_counts: ``species_counts.parquet``.
        deployments: ``inventory/deployments.parquet`` (clock offsets).
        out: the PNG to write.
    """
    title = "4. Activity: time of day per species"
    records = sequence_records(sequences, species_counts)
    zone = str(getattr(records["start"].dt, "tz", None) or "the configured zone")
    notes = corrections(deployments, zone)
    if records.empty:
        return Section(
            "activity",
            title,
            LOOK_FOR,
            empty="no animal was detected, so there is no time of day to plot",
            notes=notes,
        )
    order = records["species"].value_counts()
    shown = list(order.index[:MAX_PANELS])
    rows, columns = panel_grid(len(shown), 3)
    figure = new_figure(2.4 * rows + 0.4)
    axes = figure.subplots(rows, columns, squeeze=False, sharex=True).ravel()
    grid = np.linspace(0, 24, 193)
    for k, (ax, name) in enumerate(zip(axes, shown, strict=False)):
        hours = hour_of_day(records.loc[records["species"] == name, "start"])
        colour = PALETTE[k % len(PALETTE)]
        ax.hist(hours, bins=24, range=(0, 24), density=True, color=colour, alpha=0.3)
        ax.plot(grid, circular_density(hours, grid), color=colour, linewidth=2)
        ax.set_title(f"{plain(name)} ({len(hours):,} sequences)", fontsize=9)
        ax.set_xlim(0, 24)
        ax.set_xticks(range(0, 25, 6), [f"{h:02d}:00" for h in range(0, 25, 6)])
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
    for ax in axes[len(shown) :]:
        ax.set_visible(False)
    figure.supxlabel(f"time of day ({zone}, corrected)", fontsize=9)
    save(figure, out)
    if len(order) > len(shown):
        notes += (
            f"Not plotted (fewest records): {', '.join(order.index[len(shown) :])}.",
        )
    return Section("activity", title, LOOK_FOR, notes=notes)
