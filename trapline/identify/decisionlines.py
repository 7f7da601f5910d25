"""The lines of a decisions CSV: read leniently, each checked on its own.

Split from :mod:`trapline.identify.decisions`, which checks the lines against
each other and against the season; here is what a line is and what makes one
malformed by itself (an unknown decision, a missing column, a bad name).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from trapline.identify.clusters import NEW_PREFIX

CROP_DECISIONS = ("same", "different", "unsure", "new")
"""Decisions about one crop (``crop_id`` filled)."""
IDENTITY_DECISIONS = ("merge", "distinct", "name")
"""Decisions about identities (``crop_id`` empty): ``merge`` two identities into
one animal (two flanks, or one animal split in two), ``distinct`` (never propose
the two as one again), ``name`` an identity."""
DECISIONS = CROP_DECISIONS + IDENTITY_DECISIONS
DECISION_COLUMNS = [
    "crop_id",
    "proposed_individual",
    "decision",
    "new_name",
    "other_individual",
    "note",
]
REQUIRED = ["crop_id", "proposed_individual", "decision"]
PROVISIONAL = re.compile(rf"^{NEW_PREFIX}\d+$")


class DecisionsError(ValueError):
    """The decisions CSV cannot be applied as it is."""


@dataclass(frozen=True)
class Line:
    """One decided line of the file (``unsure`` and empty lines are dropped)."""

    number: int
    crop: str
    proposed: str
    decision: str
    name: str
    other: str = ""
    note: str = ""

    @property
    def given(self) -> str:
        """The individual this line gives the crop ('' when it rejects only)."""
        return {"same": self.proposed, "new": self.name}.get(self.decision, "")

    def row(self) -> dict[str, str]:
        """The line as the file holds it (to write it out again)."""
        values = (self.crop, self.proposed, self.decision, self.name, self.other)
        return dict(zip(DECISION_COLUMNS, (*values, self.note), strict=True))

    @property
    def about_identities(self) -> bool:
        return self.decision in IDENTITY_DECISIONS

    def __str__(self) -> str:
        if self.about_identities:
            other = f" {self.other}" if self.other else ""
            name = f" as {self.name}" if self.name else ""
            return f"line {self.number} ({self.decision} {self.proposed}{other}{name})"
        return f"line {self.number} ({self.decision} {self.given or self.proposed})"


def read_records(path: Path) -> list[tuple[int, list[str]]]:
    """(first line number, fields) of each CSV record, the header first."""
    records = []
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            while True:
                start = reader.line_num + 1
                try:
                    fields = next(reader)
                except StopIteration:
                    return records
                except csv.Error as exc:
                    raise DecisionsError(
                        f"decisions {path}, line {start}: {exc}; save it again as "
                        "plain CSV"
                    ) from exc
                if any(f.strip() for f in fields):
                    records.append((start, fields))
    except UnicodeDecodeError as exc:
        raise DecisionsError(
            f"decisions {path}: not UTF-8 text ({exc.reason} at byte {exc.start}); "
            "save it as CSV UTF-8"
        ) from exc


def decided_lines(path: Path, problems: list[tuple[int, str]]) -> list[Line]:
    """The file's decided lines; what is wrong with a line goes to ``problems``."""
    records = read_records(path)
    if not records:
        raise DecisionsError(
            f"decisions {path}: empty; it needs the header line "
            f"{','.join(DECISION_COLUMNS)}"
        )
    header = [name.strip() for name in records[0][1]]
    while header and not header[-1]:  # spreadsheets pad the header with commas
        header.pop()
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        hint = (
            "; the file is separated by ';', save it with ',' separators"
            if ";" in records[0][1][0]
            else f"; the header line should read {','.join(DECISION_COLUMNS)}"
        )
        raise DecisionsError(
            f"decisions {path}, line 1: missing column(s) {missing}{hint}"
        )
    lines = []
    for number, fields in records[1:]:
        if len(fields) > len(header):
            if header[-1] != "note":
                problems.append(
                    (
                        number,
                        f"{len(fields)} fields but the header has {len(header)}; put "
                        "a field that holds a comma in double quotes",
                    )
                )
                continue
            fields = fields[: len(header) - 1] + [",".join(fields[len(header) - 1 :])]
        row = dict(zip(header, (f.strip() for f in fields), strict=False))
        decision = row.get("decision", "").lower()
        line = Line(
            number,
            row.get("crop_id", ""),
            row.get("proposed_individual", ""),
            decision,
            row.get("new_name", ""),
            row.get("other_individual", ""),
            row.get("note", ""),
        )
        if decision in ("", "unsure"):
            continue
        problem = _malformed(line, row.get("decision", ""))
        if problem:
            problems.append((number, problem))
        else:
            lines.append(line)
    return lines


def _malformed(line: Line, written: str) -> str | None:
    """What is wrong with ``line`` on its own, if anything."""
    if line.decision not in DECISIONS:
        return (
            f"decision {written!r}; write one of {', '.join(DECISIONS)} (or leave it "
            "empty)"
        )
    if line.about_identities:
        return _malformed_identity_line(line)
    if not line.crop:
        return f"decision {line.decision!r} without a crop_id; fill in the crop_id"
    if line.decision in ("same", "different") and not line.proposed:
        return (
            f"decision {line.decision!r} needs the proposed_individual it "
            f"{'confirms' if line.decision == 'same' else 'rejects'}"
        )
    if line.decision != "new":
        return None
    if not line.name:
        return "decision 'new' needs a new_name, the name of the new animal"
    if line.name == line.proposed:
        return (
            f"decision 'new' with new_name {line.name!r}, the proposed individual "
            "itself; write 'same' to confirm it, or give the new animal another name"
        )
    if PROVISIONAL.match(line.name):
        return (
            f"new_name {line.name!r} has the form of trapline's provisional IDs; "
            f"choose another name, or write proposed_individual {line.name} and "
            "decision 'same' to confirm that provisional animal"
        )
    return None


def _malformed_identity_line(line: Line) -> str | None:
    """What is wrong with a ``merge``/``distinct``/``name`` line on its own."""
    if line.crop:
        return (
            f"decision {line.decision!r} is about identities, not a crop; leave "
            "crop_id empty (or write a crop decision: same, different, new)"
        )
    if not line.proposed:
        return f"decision {line.decision!r} needs the proposed_individual it is about"
    if line.decision == "name":
        if not line.name:
            return "decision 'name' needs the new_name to give"
    elif not line.other:
        what = "it is one animal with" if line.decision == "merge" else "it is not"
        return f"decision {line.decision!r} needs the other_individual {what}"
    elif line.other == line.proposed:
        return f"decision {line.decision!r} of {line.proposed!r} with itself"
    if line.name and PROVISIONAL.match(line.name):
        return (
            f"new_name {line.name!r} has the form of trapline's provisional IDs; "
            "choose another name"
        )
    return None
