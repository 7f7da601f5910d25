"""Review by people: a sheet of the uncertain decisions, and the decisions fed back.

No matcher is right every time, and a wrong identity inflates or deflates an
abundance estimate. The identify stage writes a static HTML sheet (each uncertain
crop beside its best candidates, with scores; images load from disk, no server)
and a decisions CSV to fill in. Pointing config ``identify.decisions`` at the
filled CSV applies it on the next run: confirmed crops join the catalogue as
references, rejected matches are never proposed again, and only identification
and the stages after it rerun. The filled CSV is read and checked in
:mod:`trapline.identify.decisions`.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from trapline.identify.decisions import (
    DECISION_COLUMNS,
    DECISIONS,
    DecisionContext,
    DecisionsError,
    ReviewDecisions,
    read_decisions,
)
from trapline.io import write_atomic

__all__ = [  # the decisions are read where they were always imported from
    "DECISIONS",
    "DECISION_COLUMNS",
    "DecisionContext",
    "DecisionsError",
    "ReviewDecisions",
    "read_decisions",
    "review_queue",
    "write_review",
]


def review_queue(
    identities: pd.DataFrame,
    candidates: pd.DataFrame,
    low: float = 0.2,
    high: float = 0.9,
) -> pd.DataFrame:
    """The decisions worth a person's time: automatic calls with a middling score.

    A match below ``high`` or a "new individual" whose best candidate still
    reaches ``low`` is queued, least certain first.
    """
    best = candidates.sort_values("probability", ascending=False).drop_duplicates(
        "crop_id"
    )
    joined = identities[identities["source"] != "review"].merge(
        best[["crop_id", "individual_id", "probability"]].rename(
            columns={"individual_id": "proposed_individual"}
        ),
        on="crop_id",
    )
    matched = ~joined["is_new"] & (joined["score"] < high)
    unsure_new = joined["is_new"] & (joined["probability"] >= low)
    queue = joined[matched | unsure_new].copy()
    queue["certainty"] = (queue["probability"] - 0.5).abs()
    return queue.sort_values("certainty", ignore_index=True)


def write_review(
    queue: pd.DataFrame,
    candidates: pd.DataFrame,
    crop_paths: dict[str, Path],
    ref_paths: dict[str, Path],
    sheet: Path,
    decisions: Path,
    per_crop: int = 3,
) -> None:
    """Write the HTML sheet and the decisions CSV for ``queue``."""
    cards = []
    for row in queue.itertuples():
        options = candidates[candidates["crop_id"] == row.crop_id].nsmallest(
            per_crop, "rank"
        )
        cells = "".join(
            _figure(
                ref_paths[o.ref_id],
                sheet,
                f"{o.individual_id} · p={o.probability:.2f} · inliers={o.inliers}",
            )
            for o in options.itertuples()
        )
        call = "new individual" if row.is_new else f"matched {row.individual_id}"
        query = _figure(crop_paths[row.crop_id], sheet, f"{row.crop_id} ({call})")
        cards.append(
            f'<section class="card">{query}<div class="refs">{cells}</div></section>'
        )
    page = _PAGE.format(n=len(queue), cards="\n".join(cards))
    write_atomic(sheet, lambda tmp: Path(tmp).write_text(page))
    template = queue[["crop_id", "proposed_individual"]].assign(
        decision="", new_name="", note=""
    )[DECISION_COLUMNS]
    write_atomic(decisions, lambda tmp: template.to_csv(tmp, index=False))


def _figure(image: Path, sheet: Path, caption: str) -> str:
    """An image beside its caption; the path a URL (``#``, ``%``, spaces encoded)."""
    relative = Path(os.path.relpath(image, sheet.parent)).as_posix()
    src = html.escape(quote(relative))
    return (
        f'<figure><img src="{src}" loading="lazy">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>trapline review</title>
<style>
body {{ font-family: sans-serif; margin: 1em; }}
.card {{ display: flex; gap: 1em; border-bottom: 1px solid #ccc; padding: .5em 0; }}
.refs {{ display: flex; gap: .5em; }}
img {{ max-height: 180px; max-width: 320px; }}
figure {{ margin: 0; }} figcaption {{ font-size: small; }}
</style></head><body>
<h1>{n} identities to review</h1>
<p>Left: the crop and trapline's call. Right: its best catalogue candidates.
Record each decision (same / different / unsure / new + new_name) in
decisions.csv beside this page, then set <code>identify.decisions</code> to it.</p>
{cards}
</body></html>
"""
