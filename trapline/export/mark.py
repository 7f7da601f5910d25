"""Program MARK input (``.inp``), which RMark's ``convert.inp`` also reads.

One line per individual: ``/* id */ history frequencies;``. Each session ×
species is a MARK group, with one frequency column per group (1 in the
individual's own group, 0 elsewhere), listed in the header comment. Groups must
share one number of occasions in MARK; where sessions differ, shorter histories
are padded with ``.`` (not sampled) and the log says so.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from trapline.io import write_atomic

log = logging.getLogger(__name__)


def mark_lines(history: pd.DataFrame) -> list[str]:
    """The ``.inp`` lines (comments first) for a capture history table."""
    if history.empty:
        return ["/* trapline: no individual was captured */"]
    groups = (
        history[["Session", "Species"]]
        .drop_duplicates()
        .sort_values(["Session", "Species"])
    )
    group_ids = list(groups.itertuples(index=False, name=None))
    width = int(history["ch"].str.len().max())
    if history["ch"].str.len().nunique() > 1:
        log.warning(
            "sessions have different numbers of occasions: MARK histories padded to "
            "%d with '.' (not sampled)",
            width,
        )
    lines = [
        f"/* trapline capture histories: {len(history)} individuals, {width} "
        "occasions */",
        "/* groups (frequency columns, in order): "
        + "; ".join(f"session {s}, {sp}" for s, sp in group_ids)
        + " */",
    ]
    for row in history.sort_values(["Session", "Species", "Individual"]).itertuples():
        freqs = " ".join(
            "1" if (row.Session, row.Species) == g else "0" for g in group_ids
        )
        ident = str(row.Individual).replace("*/", "* /")
        lines.append(f"/* {ident} */ {row.ch.ljust(width, '.')} {freqs};")
    return lines


def write_mark(history: pd.DataFrame, path: Path) -> None:
    """Write the MARK input file."""
    text = "\n".join(mark_lines(history)) + "\n"
    write_atomic(path, lambda tmp: Path(tmp).write_text(text))
