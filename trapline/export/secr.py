"""secr text inputs: ``read.capthist(captfile, trapfile, fmt = "trapID")``.

The capture file has one detection per line, ``Session ID Occasion Detector``;
the trap file ``Detector x y usage [/ covariates]``. Usage is the station's
effort per occasion in days (read with ``binary.usage = FALSE``; secr then models
detection as proportional to effort), for ``count`` detectors and, by default, for
``proximity`` detectors too: camtrapR passes effort in days as usage, and with
occasions longer than a day a 0/1 usage would treat a station that worked one
night of seven like one that worked all seven. ``capture.proximity_usage:
binary`` writes the 0/1 string instead (worked at all on the occasion).
Lines starting with ``#`` are comments to ``read.table`` and tell the reader how
to call secr. A session without captures gets secr's ``NONE`` line so that it
is not lost.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from trapline.capture.occasions import effort_matrix
from trapline.io import write_atomic

NONCAPT = "NONE"
_PLAIN = re.compile(r"^[^\s#\"']+$")


def token(value: object) -> str:
    """A field ``read.table`` reads back as it was: quoted when it has blanks."""
    text = (
        "NA"
        if value is None or (isinstance(value, float) and np.isnan(value))
        else str(value)
    )
    if _PLAIN.match(text):
        return text
    return '"' + text.replace('"', "'") + '"'


def trap_files(sessions: list[str]) -> dict[str, str]:
    """The trap file name of each session: ``traps.txt`` when there is one
    session, else ``traps_<session>.txt``."""
    if len(sessions) == 1:
        return {sessions[0]: "traps.txt"}
    return {s: f"traps_{re.sub(r'[^A-Za-z0-9_.-]', '_', s)}.txt" for s in sessions}


def capture_lines(
    captures: pd.DataFrame, sessions: list[str], detector: str
) -> list[str]:
    """``Session ID Occasion Detector`` lines; one per individual, occasion and
    station for proximity detectors, one per capture event for count detectors."""
    cols = ["Session", "Individual", "Occasion", "Station"]
    rows = captures[cols]
    if detector == "proximity":
        rows = rows.drop_duplicates()
    rows = rows.sort_values(cols)
    lines = [" ".join(token(v) for v in row) for row in rows.itertuples(index=False)]
    for session in sessions:
        if session not in set(rows["Session"]):
            lines.append(f"{token(session)} {NONCAPT} 1 {NONCAPT}")
    return lines


def binary_usage(detector: str, proximity_usage: str) -> bool:
    """Whether the trap files hold 0/1 usage (only proximity detectors asked to)."""
    return detector == "proximity" and proximity_usage == "binary"


def _days(value: float) -> str:
    """Effort in days, to about 10 seconds, without trailing zeros."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def trap_lines(
    traps: pd.DataFrame,
    effort: pd.DataFrame,
    session: str,
    detector: str,
    proximity_usage: str = "days",
) -> tuple[list[str], list[str]]:
    """Trap-file lines of one session and the names of the covariates in them."""
    one = traps[traps["Session"] == session].set_index("Detector")
    usage = effort_matrix(effort, session).reindex(one.index).fillna(0.0)
    covariates = [c for c in one.columns if c not in ("Session", "x", "y", "n_cameras")]
    lines = []
    for name, row in one.iterrows():
        values = usage.loc[name].to_numpy()
        if binary_usage(detector, proximity_usage):
            used = "".join("1" if v > 0 else "0" for v in values)
        else:
            used = " ".join(_days(v) for v in values)
        line = f"{token(name)} {row['x']:.2f} {row['y']:.2f} {used}"
        if covariates:
            line += " / " + " ".join(token(row[c]) for c in covariates)
        lines.append(line)
    return lines, covariates


def write_secr(
    captures: pd.DataFrame,
    effort: pd.DataFrame,
    traps: pd.DataFrame,
    detector: str,
    folder: Path,
    proximity_usage: str = "days",
) -> list[Path]:
    """Write ``captures.txt`` and the trap file(s) into ``folder``.

    Args:
        captures: capture events (``Session``, ``Individual``, ``Occasion``,
            ``Station``).
        effort: station × occasion effort in days.
        traps: one row per session and detector.
        detector: secr detector type, ``proximity`` or ``count``.
        folder: where the files go.
        proximity_usage: ``days`` (effort as usage, camtrapR's convention) or
            ``binary`` (0/1) for proximity detectors; count detectors always get
            days.

    Returns:
        The files written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    sessions = sorted(set(traps["Session"]))
    files = trap_files(sessions)
    k = effort.groupby("Session")["Occasion"].max()
    binary = binary_usage(detector, proximity_usage)
    binary_r = "TRUE" if binary else "FALSE"
    trapfiles = ", ".join(f'"{files[s]}"' for s in sessions)
    if len(sessions) > 1:
        trapfiles = f"c({trapfiles})"
    noccasions = ", ".join(str(int(k.get(s, 0))) for s in sessions)
    if len(sessions) > 1:
        noccasions = f"c({noccasions})"
    header = [
        "# trapline capture file for secr: Session ID Occasion Detector",
        f'# read.capthist("captures.txt", {trapfiles}, fmt = "trapID",',
        f'#   detector = "{detector}", noccasions = {noccasions},',
        f'#   binary.usage = {binary_r}, noncapt = "{NONCAPT}")',
    ]
    written = []
    path = folder / "captures.txt"
    _write(path, header + capture_lines(captures, sessions, detector))
    written.append(path)
    for session in sessions:
        lines, covariates = trap_lines(
            traps, effort, session, detector, proximity_usage
        )
        head = [
            f"# trapline trap file for secr, session {session}: Detector x y usage",
            f"# usage: {_usage_note(detector, binary)}; x, y in projected metres",
        ]
        if covariates:
            names = ", ".join(f'"{c}"' for c in covariates)
            head.append(f"# covariates after '/': trapcovnames = c({names})")
        path = folder / files[session]
        _write(path, head + lines)
        written.append(path)
    return written


def _usage_note(detector: str, binary: bool) -> str:
    """What the usage columns hold, for the person and the script reading them."""
    if binary:
        return (
            "0/1 per occasion (capture.proximity_usage: binary; read with "
            "binary.usage = TRUE)"
        )
    note = "effort in days per occasion (read with binary.usage = FALSE"
    if detector == "proximity":
        note += "; camtrapR's convention, capture.proximity_usage: binary gives 0/1"
    return note + ")"


def _write(path: Path, lines: list[str]) -> None:
    text = "\n".join(lines) + "\n"
    write_atomic(path, lambda tmp: Path(tmp).write_text(text))
