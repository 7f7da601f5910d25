"""The decisions people feed back: ``review/decisions.csv``, read and checked.

The identify stage writes the file beside the review sheet
(:mod:`trapline.identify.review`); a person fills in a decision per crop and
points config ``identify.decisions`` at it. The file is typed by hand, so every
slip that would silently change identities (a typo in an ID, a crop decided
twice, a new name that is an existing animal) stops the run with the file, the
line and the fix, rather than reaching the capture histories.
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from trapline.identify.clusters import NEW_PREFIX

DECISIONS = ("same", "different", "unsure", "new")
DECISION_COLUMNS = ["crop_id", "proposed_individual", "decision", "new_name", "note"]
_REQUIRED = ["crop_id", "proposed_individual", "decision"]
_PROVISIONAL = re.compile(rf"^{NEW_PREFIX}\d+$")
_SHOWN = 10
"""Problems listed in one error (the count says how many more)."""


class DecisionsError(ValueError):
    """The decisions CSV cannot be applied as it is."""


@dataclass(frozen=True)
class ReviewDecisions:
    """What people decided, ready for the identify stage.

    Args:
        forced: crop → individual a person confirmed or named.
        forbidden: (crop, individual) pairs a person rejected.
    """

    forced: dict[str, str] = field(default_factory=dict)
    forbidden: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class DecisionContext:
    """The season a decisions file is applied to, to check its ids against.

    Args:
        species: crop id → species, for every crop of the season (crops.parquet).
        target_species: the species identified; only their crops can be decided.
        catalogue: the catalogue's individuals.
        previous: crop id → individual in the previous run (``identify/
            registry.parquet``), which holds the provisional ``NEW…`` IDs and the
            names given in review that a person saw on the review sheet.
    """

    species: Mapping[str, str]
    target_species: frozenset[str]
    catalogue: frozenset[str]
    previous: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Line:
    """One decided line of the file (``unsure`` and empty lines are dropped)."""

    number: int
    crop: str
    proposed: str
    decision: str
    name: str

    @property
    def given(self) -> str:
        """The individual this line gives the crop ('' when it rejects only)."""
        return {"same": self.proposed, "new": self.name}.get(self.decision, "")

    def __str__(self) -> str:
        return f"line {self.number} ({self.decision} {self.given or self.proposed})"


def read_decisions(
    path: str | Path | None, context: DecisionContext | None = None
) -> ReviewDecisions:
    """Read a filled decisions CSV (None: no review yet).

    A person fills the file in a spreadsheet or an editor, so it is read leniently
    where the intent is plain and strictly where a slip would silently change
    identities:

    - Columns are found by the header; fields are stripped; empty lines and
      lines with ``unsure`` or no decision are skipped; a UTF-8 byte-order mark
      (spreadsheets write one) is ignored.
    - A comma inside the note needs no quotes: with ``note`` as the last
      column, everything after the 4th comma is the note (a comma in another
      field still needs double quotes).
    - ``same``: the crop is ``proposed_individual``, which must be a known
      individual (catalogue, previous run, or a ``new_name`` of this file), so
      a typo never founds a new animal.
    - ``different``: the crop is not ``proposed_individual`` (known, likewise,
      or the rejection would silently do nothing).
    - ``new`` + ``new_name``: the crop is a new animal called ``new_name``, and
      not ``proposed_individual`` (not checked: it is only dropped from the
      crop's candidates, and may be a provisional ID this decision retires).
      ``new_name`` must not be an individual already (catalogue, or the
      previous run's, unless this file gave it): that would silently merge two
      animals; write ``same`` with that individual instead. Several ``new``
      lines with one name name one animal. Names of trapline's provisional form
      (``NEW0007``) are refused: write ``same`` to confirm a provisional ID.
    - A crop gets at most one individual, never one a line rejects for it.
    - With ``context``, every decided crop must be a crop of a target species
      of this season.

    Raises:
        DecisionsError: naming the file, each line to fix (as numbered in the
            file, the header being line 1) and the fix.
    """
    if path is None:
        return ReviewDecisions()
    path = Path(path)
    if not path.is_file():
        raise DecisionsError(
            f"config key 'identify.decisions' = {str(path)!r}: no such file; fill in "
            "the review/decisions.csv the identify stage wrote and point the key at it"
        )
    problems: list[tuple[int, str]] = []
    lines = _decided_lines(path, problems)
    problems += _conflicts(lines)
    if context is not None:
        problems += _unknown(lines, context)
    if problems:
        problems.sort()
        if len(problems) == 1:
            [(number, problem)] = problems
            raise DecisionsError(f"decisions {path}, line {number}: {problem}")
        shown = "\n".join(f"  line {n}: {p}" for n, p in problems[:_SHOWN])
        more = len(problems) - _SHOWN
        raise DecisionsError(
            f"decisions {path}: {len(problems)} problems to fix\n{shown}"
            + (f"\n  ... and {more} more" if more > 0 else "")
        )
    forced = {line.crop: line.given for line in lines if line.given}
    forbidden = {
        (line.crop, line.proposed)
        for line in lines
        if line.decision in ("different", "new") and line.proposed
    }
    return ReviewDecisions(forced, frozenset(forbidden))


def _records(path: Path) -> list[tuple[int, list[str]]]:
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


def _decided_lines(path: Path, problems: list[tuple[int, str]]) -> list[_Line]:
    """The file's decided lines; what is wrong with a line goes to ``problems``."""
    records = _records(path)
    if not records:
        raise DecisionsError(
            f"decisions {path}: empty; it needs the header line "
            f"{','.join(DECISION_COLUMNS)}"
        )
    header = [name.strip() for name in records[0][1]]
    while header and not header[-1]:  # spreadsheets pad the header with commas
        header.pop()
    missing = [c for c in _REQUIRED if c not in header]
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
        line = _Line(
            number,
            row.get("crop_id", ""),
            row.get("proposed_individual", ""),
            decision,
            row.get("new_name", ""),
        )
        if decision in ("", "unsure"):
            continue
        problem = _malformed(line, row.get("decision", ""))
        if problem:
            problems.append((number, problem))
        else:
            lines.append(line)
    return lines


def _malformed(line: _Line, written: str) -> str | None:
    """What is wrong with ``line`` on its own, if anything."""
    if line.decision not in DECISIONS:
        return (
            f"decision {written!r}; write one of {', '.join(DECISIONS)} (or leave it "
            "empty)"
        )
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
    if _PROVISIONAL.match(line.name):
        return (
            f"new_name {line.name!r} has the form of trapline's provisional IDs; "
            f"choose another name, or write proposed_individual {line.name} and "
            "decision 'same' to confirm that provisional animal"
        )
    return None


def _conflicts(lines: list[_Line]) -> list[tuple[int, str]]:
    """Lines that contradict an earlier line about the same crop."""
    problems = []
    seen: dict[str, list[_Line]] = {}
    for line in lines:
        for earlier in seen.get(line.crop, []):
            clash = (
                line.given and earlier.given and line.given != earlier.given,
                line.given and earlier.decision == "different"
                and earlier.proposed == line.given,
                earlier.given and line.decision == "different"
                and line.proposed == earlier.given,
            )  # fmt: skip
            if any(clash):
                what = f"{line.decision} {line.given or line.proposed}"
                problems.append(
                    (
                        line.number,
                        f"crop {line.crop!r}: {what} contradicts {earlier}; keep the "
                        "line that is right and delete the other",
                    )
                )
                break
        seen.setdefault(line.crop, []).append(line)
    return problems


def _unknown(lines: list[_Line], context: DecisionContext) -> list[tuple[int, str]]:
    """Lines naming a crop or an individual the season does not have."""
    named = {line.name for line in lines if line.decision == "new"}
    previous = set(context.previous.values())
    known = context.catalogue | previous | named
    own = {  # names the previous run gave because this file gave them
        line.name
        for line in lines
        if line.decision == "new" and context.previous.get(line.crop) == line.name
    }
    problems = []
    for line in lines:
        problem = None
        species = context.species.get(line.crop)
        if species is None:
            problem = (
                f"crop_id {line.crop!r} is not a crop of this season (crops.parquet); "
                "correct it or delete the line"
            )
        elif species not in context.target_species:
            problem = (
                f"crop_id {line.crop!r} is a crop of {species!r}, not of a target "
                f"species ({', '.join(sorted(context.target_species))}); correct it "
                "or delete the line"
            )
        elif line.decision in ("same", "different") and line.proposed not in known:
            problem = (
                f"proposed_individual {line.proposed!r} is not a known individual "
                "(the catalogue, the previous run's identify/registry.parquet, the "
                f"new_name of a 'new' line){_did_you_mean(line.proposed, known)}; "
                "correct it"
            )
        elif line.decision == "new" and line.name in context.catalogue:
            problem = (
                f"new_name {line.name!r} is a catalogue individual; to put the crop "
                f"with it write proposed_individual {line.name} and decision 'same', "
                "or give the new animal another name"
            )
        elif line.decision == "new" and line.name in previous - own:
            problem = (
                f"new_name {line.name!r} is already an individual of the previous "
                "run (identify/registry.parquet); to put the crop with it write "
                f"proposed_individual {line.name} and decision 'same', or give the "
                "new animal another name"
            )
        if problem:
            problems.append((line.number, problem))
    return problems


def _did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""
