"""Section 7: the sanity estimates, with their intervals, beside the truth when
the season was simulated.

Read from ``capture/estimate.json`` (the capture rule's Chao M_h and Schnabel
figures, and on a simulated season the true number of animals and the same
estimators on the perfectly identified history). Not the spatial models: a
quick look at whether the history is plausible before opening R.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from trapline.report.figures import PALETTE, Section, new_figure, plain, save

ESTIMATORS = (("chao_mh", "Chao M_h"), ("schnabel", "Schnabel"))

LOOK_FOR = (
    "Chao's estimate far above the number of animals caught, or an interval "
    "without an upper end, says the season caught too few animals twice for "
    "the spatial models to be precise either."
)


def estimate_rows(report: dict) -> list[dict]:
    """One row per estimate to draw: label, N, interval, and which history."""
    rows = []
    histories = [("trapline", report.get("estimates", []))]
    if "truth" in report:
        histories.append(
            ("perfect identification", report["truth"]["perfect_identification"])
        )
    for history, estimates in histories:
        for est in estimates:
            where = est["Species"]
            if len({e["Session"] for e in estimates}) > 1:
                where += f", session {est['Session']}"
            for key, name in ESTIMATORS:
                value = est[key]
                rows.append(
                    {
                        "label": f"{name}, {history}\n{where}",
                        "text": f"{name} ({history}), {where}",
                        "history": history,
                        "N": value["N"],
                        "low": value["ci95"][0],
                        "high": value["ci95"][1],
                        "captured": est["individuals_captured"],
                    }
                )
    return rows


def estimates_section(estimate: Path, out: Path, *, why_empty: str | None) -> Section:
    """Plot each estimate with its 95 % interval, the animals caught and the truth.

    Args:
        estimate: ``capture/estimate.json``.
        out: the PNG to write.
        why_empty: the reason there are no individuals, when there are none.
    """
    title = "7. Population estimates"
    report = json.loads(estimate.read_text())
    rows = [r for r in estimate_rows(report) if r["N"] is not None]
    if why_empty is not None or not rows:
        return Section(
            "estimates",
            title,
            LOOK_FOR,
            empty=why_empty or "no individual was captured: nothing to estimate",
        )
    figure = new_figure(1.2 + 0.55 * len(rows))
    axes = figure.subplots()
    y = np.arange(len(rows))
    largest = max(max(r["high"] or r["N"], r["N"]) for r in rows)
    if "truth" in report:
        largest = max(largest, report["truth"]["individuals"])
    edge = largest * 1.15
    notes = []
    for k, row in enumerate(rows):
        colour = PALETTE[0] if row["history"] == "trapline" else PALETTE[2]
        high = row["high"] if row["high"] is not None else edge
        axes.plot([row["low"], high], [k, k], color=colour, linewidth=2)
        if row["high"] is None:
            axes.annotate("→ no upper end", (edge, k), fontsize=7, va="bottom")
        axes.plot(row["N"], k, "o", color=colour, markersize=8)
        axes.annotate(
            f"{row['N']:.1f}",
            (row["N"], k),
            xytext=(0, 6),
            textcoords="offset points",
            ha="center",
            fontsize=7,
        )
        axes.plot(row["captured"], k, "|", color="black", markersize=14)
        high_text = "∞" if row["high"] is None else f"{row['high']:.1f}"
        notes.append(
            f"{row['text']}: N = {row['N']:.1f} "
            f"(95 % {row['low']:.1f}–{high_text}), {row['captured']} caught."
        )
    if "truth" in report:
        true_n = report["truth"]["individuals"]
        axes.axvline(true_n, color=PALETTE[3], linestyle="--")
        axes.annotate(
            f"true N = {true_n} (simulated)",
            (true_n, len(rows) - 0.5),
            xytext=(4, 0),
            textcoords="offset points",
            color=PALETTE[3],
            fontsize=8,
        )
        notes.append(
            f"The simulated season held {true_n} animals, "
            f"{report['truth']['photographed']} of them photographed."
        )
    axes.set_yticks(y, [plain(r["label"]) for r in rows], fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, edge * 1.1)
    axes.set_ylim(len(rows) - 0.3, -0.9)
    axes.set_xlabel("individuals (dot: estimate, line: 95 % interval, bar: caught)")
    save(figure, out)
    return Section("estimates", title, LOOK_FOR, notes=tuple(notes))
