"""Section 5: the individuals: how fast new ones came, how often and where each
was caught, and which flanks of each are known.

Read from the capture tables (one row per capture event or per individual) and
three columns of ``identities.parquet``; a season's individuals number in the
hundreds at most, whatever its images.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

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

FLANKS = ("left only", "right only", "both flanks", "flank unknown")

LOOK_FOR = (
    "A discovery curve still climbing at the last occasion means animals are "
    "still being met for the first time; many animals caught once, at one "
    "station or on one flank only, are what the estimates are least sure of."
)
MAPS_LOOK_FOR = (
    "Each panel is one animal's captures in the order they happened; an animal "
    "that jumps across the whole grid overnight is worth checking in the review."
)


def flank_coverage(identities: Path) -> pd.DataFrame:
    """Individuals per flank coverage (rows :data:`FLANKS`), catalogue and new."""
    crops = pd.read_parquet(identities, columns=["individual_id", "is_new", "flank"])
    crops = crops.assign(left=crops["flank"] == "left", right=crops["flank"] == "right")
    seen = crops.groupby("individual_id").agg(
        is_new=("is_new", "first"), left=("left", "any"), right=("right", "any")
    )
    left, right = seen["left"].to_numpy(bool), seen["right"].to_numpy(bool)
    coverage = np.select(
        [left & right, left, right],
        ["both flanks", "left only", "right only"],
        "flank unknown",
    )
    kind = np.where(seen["is_new"].to_numpy(bool), "new", "catalogue")
    table = pd.crosstab(
        pd.Series(coverage, name="flanks"), pd.Series(kind, name="kind")
    )
    return table.reindex(index=list(FLANKS), columns=["catalogue", "new"], fill_value=0)


def _discovery(ax, history: pd.DataFrame, occasions: pd.DataFrame) -> None:
    groups = list(history.groupby(["Session", "Species"]))
    for k, ((session, species), rows) in enumerate(groups):
        last = occasions.loc[occasions["Session"] == session, "Occasion"].max()
        last = int(last) if pd.notna(last) else int(rows["first_occasion"].max())
        x = np.arange(1, last + 1)
        new = rows["first_occasion"].value_counts().reindex(x, fill_value=0)
        colour = PALETTE[k % len(PALETTE)]
        label = plain(species if len(groups) == 1 else f"{species}, session {session}")
        ax.bar(x, new.to_numpy(), color=colour, alpha=0.35, label=f"new ({label})")
        ax.plot(
            x,
            new.cumsum().to_numpy(),
            "-o",
            markersize=3,
            color=colour,
            linewidth=2,
            label=f"cumulative ({label})",
        )
    ax.set_xlabel("occasion")
    ax.set_ylabel("individuals")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("discovery curve", fontsize=10)
    ax.legend(fontsize=7, loc="upper left")


def _counts(ax, values: pd.Series, title: str, xlabel: str, colour: str) -> None:
    counts = values.value_counts().sort_index()
    ax.bar(counts.index, counts.to_numpy(), color=colour)
    for x, n in counts.items():
        ax.annotate(str(n), (x, n), ha="center", va="bottom", fontsize=7)
    ax.set_xticks(counts.index)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("individuals")
    ax.set_title(title, fontsize=10)


def _flanks(ax, coverage: pd.DataFrame) -> None:
    y = np.arange(len(coverage))
    start = np.zeros(len(coverage))
    for colour, kind in zip((PALETTE[0], PALETTE[1]), coverage.columns, strict=True):
        values = coverage[kind].to_numpy()
        ax.barh(y, values, left=start, color=colour, label=f"{kind} ({values.sum()})")
        start += values
    ax.set_yticks(y, coverage.index, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("individuals")
    ax.set_title("flank coverage (both: left and right linked)", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")


def individuals_section(
    history: Path,
    occasions: Path,
    identities: Path | None,
    out: Path,
    *,
    why_empty: str | None,
) -> Section:
    """Plot the discovery curve, capture frequencies, stations per individual and
    flank coverage.

    Args:
        history: ``capture/capture_history.parquet``.
        occasions: ``capture/occasions.parquet``.
        identities: ``identities.parquet`` (None without a catalogue).
        out: the PNG to write.
        why_empty: the reason there are no individuals, when there are none.
    """
    title = "5. Individuals"
    if why_empty is not None or identities is None:
        return Section("individuals", title, LOOK_FOR, empty=why_empty)
    table = pd.read_parquet(history).reset_index(drop=True)
    grid = pd.read_parquet(occasions, columns=["Session", "Occasion"])
    figure = new_figure(7.0)
    (a, b), (c, d) = figure.subplots(2, 2)
    _discovery(a, table, grid)
    _counts(
        b, table["n_occasions"], "capture frequency", "occasions caught", PALETTE[2]
    )
    _counts(
        c, table["n_stations"], "spatial recaptures", "stations caught at", PALETTE[4]
    )
    _flanks(d, flank_coverage(identities))
    save(figure, out)
    return Section("individuals", title, LOOK_FOR)


def maps_section(
    captures: Path, traps: Path, out: Path, *, why_empty: str | None
) -> Section:
    """Plot one small map per individual: its capture stations, in time order.

    Args:
        captures: ``capture/captures.parquet``.
        traps: ``capture/traps.parquet``.
        out: the PNG to write.
        why_empty: the reason there are no individuals, when there are none.
    """
    title = "5b. Where each individual was captured"
    if why_empty is not None:
        return Section("individual_maps", title, MAPS_LOOK_FOR, empty=why_empty)
    events = pd.read_parquet(
        captures, columns=["Individual", "Station", "DateTimeOriginal"]
    )
    points = pd.read_parquet(traps, columns=["Detector", "x", "y"])
    points = points.drop_duplicates("Detector").set_index("Detector")
    if points[["x", "y"]].isna().all().all():
        return Section(
            "individual_maps",
            title,
            MAPS_LOOK_FOR,
            empty="the stations table gives no coordinates (x, y) to map",
        )
    per = events.groupby("Individual").agg(
        stations=("Station", "nunique"), captures=("Station", "size")
    )
    order = per.sort_values(["stations", "captures"], ascending=False).index
    shown = list(order[:MAX_PANELS])
    rows, columns = panel_grid(len(shown), 6)
    figure = new_figure(2.0 * rows + 0.3)
    axes = figure.subplots(rows, columns, squeeze=False, sharex=True, sharey=True)
    axes = axes.ravel()
    for ax, name in zip(axes, shown, strict=False):
        own = events[events["Individual"] == name].sort_values("DateTimeOriginal")
        at = points.reindex(own["Station"])
        ax.scatter(points["x"], points["y"], marker="+", s=12, color=GREY)
        ax.plot(at["x"], at["y"], color=PALETTE[0], linewidth=0.8, alpha=0.6)
        counts = own["Station"].value_counts()
        where = points.reindex(counts.index)
        ax.scatter(
            where["x"], where["y"], s=18 * counts.to_numpy(), color=PALETTE[3], zorder=3
        )
        ax.set_title(
            f"{plain(name)}\n{len(own)} captures, {len(counts)} stations",
            fontsize=7,
            pad=2,
        )
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_aspect("equal", adjustable="box")
        ax.margins(0.1)
    for ax in axes[len(shown) :]:
        ax.set_visible(False)
    save(figure, out)
    notes = ()
    if len(order) > len(shown):
        notes = (
            f"{len(order) - len(shown)} individuals caught at fewer stations are "
            f"not mapped: {', '.join(order[len(shown) :])}.",
        )
    return Section("individual_maps", title, MAPS_LOOK_FOR, notes=notes)
