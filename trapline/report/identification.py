"""Section 6: how sure identification was, and what is left for a person.

The scores are ``identities.parquet``'s calibrated probabilities (one row per
target crop), drawn against the threshold the identify rule calibrated on the
catalogue's own pairs (``identify/calibration.json``) and the review band. The
queue sizes are read from the review folder's own data (``review/data.js``),
so the report counts exactly what the review page shows.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from trapline.report.figures import PALETTE, Section, new_figure, plain, save

SOURCES = {
    "catalogue": ("matched to the catalogue", PALETTE[0]),
    "auto": ("new (clustered)", PALETTE[1]),
    "review": ("decided in review", PALETTE[2]),
    "tag": ("tagged in the images", PALETTE[4]),
}
"""Label and colour of each ``identities.source``; a source not listed here is
drawn under its own name, never left out."""

LOOK_FOR = (
    "Matches piled just above the calibrated threshold, or a long review queue, "
    "mean the identities (and so the estimates) will still move when a person "
    "works the review page."
)


def review_queues(review: Path) -> dict[str, list[dict]]:
    """The review page's queues (``matches``, ``animals``, ``flanks``)."""
    text = (review / "data.js").read_text(encoding="utf-8")
    data = json.loads(text.split("=", 1)[1].strip().rstrip(";"))
    return data["queues"]


def queue_sizes(queues: dict[str, list[dict]]) -> pd.DataFrame:
    """Per queue: items, and what deciding them would touch, in words."""
    matches = queues.get("matches", [])
    animals = queues.get("animals", [])
    flanks = queues.get("flanks", [])
    crops = sum(int(m.get("n_track_crops", 1)) for m in matches)
    return pd.DataFrame(
        [
            ("uncertain matches", len(matches), f"{crops} crops may change individual"),
            (
                "new animals",
                len(animals),
                f"{len(animals)} provisional animals to confirm, split or merge",
            ),
            (
                "flank links",
                len(flanks),
                f"{len(flanks)} left/right pairs that may be one animal",
            ),
        ],
        columns=["queue", "items", "change"],
    )


def individuals_at_stake(queues: dict[str, list[dict]]) -> set[str]:
    """Individuals whose crops a decision in the review queue could move.

    A match could move its track from the machine's call to any candidate
    shown; a provisional animal could be split, renamed or merged into its
    look-alike; a flank link joins two identities into one. Each such
    individual's capture history, and so the estimates, may still change.
    """
    stake: set[str] = set()
    for match in queues.get("matches", []):
        stake.add(str(match["call"]))
        stake.update(str(c["individual"]) for c in match.get("candidates", []))
    for animal in queues.get("animals", []):
        stake.add(str(animal["individual"]))
        stake.update(str(a["individual"]) for a in animal.get("lookalikes", []))
    for link in queues.get("flanks", []):
        stake.update((str(link["left"]), str(link["right"])))
    return stake


def match_threshold(calibration: dict) -> tuple[float, str]:
    """The threshold catalogue matches were decided with, and what it scores.

    With embeddings the identify rule decides matches on the fused score
    (``fused``); without, on local features alone (``local``).
    """
    if calibration.get("fused"):
        return float(calibration["fused"]["threshold"]), "local features + embedding"
    return float(calibration["local"]["threshold"]), "local features"


def identification_section(
    identities: Path | None,
    calibration: Path | None,
    review: Path | None,
    band: tuple[float, float],
    out: Path,
) -> Section:
    """Plot score distributions against the threshold, and the review queues.

    Args:
        identities: ``identities.parquet`` (None without a catalogue).
        calibration: ``identify/calibration.json``.
        review: the review folder.
        band: ``identify.review_low``, ``identify.review_high``.
        out: the PNG to write.
    """
    title = "6. Identification"
    if identities is None or calibration is None or review is None:
        return Section(
            "identification",
            title,
            LOOK_FOR,
            empty="identification did not run: no catalogue (identify.catalogue "
            "is null)",
        )
    crops = pd.read_parquet(identities, columns=["individual_id", "source", "score"])
    if crops.empty:
        return Section(
            "identification",
            title,
            LOOK_FOR,
            empty="no crop of a target species was found, so nothing was identified",
        )
    threshold, scored_by = match_threshold(json.loads(calibration.read_text()))
    queues = review_queues(review)
    sizes = queue_sizes(queues)
    identified = set(crops["individual_id"].dropna().astype(str))
    stake = individuals_at_stake(queues) & identified
    figure = new_figure(3.8)
    left, right = figure.subplots(1, 2, width_ratios=(3, 2))
    bins = np.linspace(0, 1, 41)
    left.axvspan(*band, color="#EEEEEE", label=f"review band {band[0]}–{band[1]}")
    sources = list(SOURCES) + sorted(set(crops["source"].dropna()) - set(SOURCES))
    for k, source in enumerate(sources):
        label, colour = SOURCES.get(source, (source, PALETTE[(k + 1) % len(PALETTE)]))
        scores = crops.loc[crops["source"] == source, "score"].dropna()
        if len(scores):
            left.hist(
                scores,
                bins=bins,
                histtype="step",
                linewidth=2,
                color=colour,
                label=f"{plain(label)} ({len(scores):,} crops)",
            )
    left.axvline(
        threshold,
        color="black",
        linestyle="--",
        label=f"calibrated threshold {threshold:.2f} ({scored_by})",
    )
    left.set_xlabel("calibrated probability of the call")
    left.set_yscale("log")
    left.set_ylabel("crops (log scale)")
    left.set_xlim(0, 1)
    left.set_title("scores of identified crops", fontsize=10)
    left.legend(fontsize=7, loc="upper left")
    y = np.arange(len(sizes))
    right.barh(y, sizes["items"], color=PALETTE[5])
    for k, row in sizes.iterrows():
        right.annotate(
            f" {row['items']}: {row['change']}",
            (0, k),
            xytext=(2, -12),
            textcoords="offset points",
            fontsize=7,
        )
    right.set_yticks(y, sizes["queue"], fontsize=8)
    right.invert_yaxis()
    right.set_xlabel("items in the review queue")
    right.set_title(f"review queue: {int(sizes['items'].sum())} items", fontsize=10)
    save(figure, out)
    notes = tuple(f"{r.queue}: {r.items} ({r.change})." for r in sizes.itertuples())
    notes += (
        f"The review could still change {len(stake)} of the {len(identified)} "
        "identified individuals (their capture histories and so the estimates).",
    )
    return Section("identification", title, LOOK_FOR, notes=notes)
