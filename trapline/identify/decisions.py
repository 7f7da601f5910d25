"""The decisions people feed back: ``review/decisions.csv``, read and checked.

The review page (:mod:`trapline.review`) exports the file, or a person fills in
the template the review rule writes beside it, and points config
``identify.decisions`` at it. The file is typed by hand, so every
slip that would silently change identities (a typo in an ID, a crop decided
twice, a new name that is an existing animal) stops the run with the file, the
line and the fix, rather than reaching the capture histories.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from trapline.identify.decisionlines import (
    CROP_DECISIONS,
    DECISION_COLUMNS,
    DECISIONS,
    IDENTITY_DECISIONS,
    DecisionsError,
    Line,
    decided_lines,
)

__all__ = [
    "CROP_DECISIONS",
    "DECISIONS",
    "DECISION_COLUMNS",
    "IDENTITY_DECISIONS",
    "DecisionContext",
    "DecisionsError",
    "ReviewDecisions",
    "read_decisions",
]

_SHOWN = 10
"""Problems listed in one error (the count says how many more)."""


@dataclass(frozen=True)
class ReviewDecisions:
    """What people decided, ready for the identify stage.

    Args:
        forced: crop → individual a person confirmed or named.
        forbidden: (crop, individual) pairs a person rejected.
        merges: pairs of identities a person declared one animal.
        distinct: pairs of identities a person declared two animals (never
            proposed as one again).
        names: identity → the name a person gave it.
        lines: the decided lines as the file holds them, in its order (the
            review page exports them again with its new ones).
    """

    forced: dict[str, str] = field(default_factory=dict)
    forbidden: frozenset[tuple[str, str]] = frozenset()
    merges: tuple[tuple[str, str], ...] = ()
    distinct: frozenset[frozenset[str]] = frozenset()
    names: dict[str, str] = field(default_factory=dict)
    lines: tuple[dict[str, str], ...] = ()


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
    clusters: frozenset[str] = frozenset()
    """Every identity a run ever showed, before and after merges (``cluster_id``
    and ``individual_id``; ``identify/identities-seen.parquet``): a line names
    the identities a person saw, which a later decision may have absorbed."""
    previous_names: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Previous run's individual → the clusters it holds (a name this file gave
    to a merged animal is that animal's, not another's)."""


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
      column, everything after the other columns is the note (a comma in another
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

    Lines about identities leave ``crop_id`` empty:

    - ``merge``: ``proposed_individual`` and ``other_individual`` are one
      animal (the two flanks of it, or one animal clustered twice); with a
      ``new_name`` the animal is called that. The animal keeps a catalogue
      name when one of the two has one; two catalogue individuals are never
      merged.
    - ``distinct``: the two are different animals; they are never proposed as
      one again. A pair cannot be both merged and distinct.
    - ``name``: ``proposed_individual`` (a new animal) is called ``new_name``.
      Catalogue individuals keep their names.
    - Identities must be known (catalogue, previous run, a name of this file).

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
    lines = decided_lines(path, problems)
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
    crop_lines = [line for line in lines if not line.about_identities]
    forced = {line.crop: line.given for line in crop_lines if line.given}
    forbidden = {
        (line.crop, line.proposed)
        for line in crop_lines
        if line.decision in ("different", "new") and line.proposed
    }
    return ReviewDecisions(
        forced,
        frozenset(forbidden),
        merges=tuple(
            (line.proposed, line.other) for line in lines if line.decision == "merge"
        ),
        distinct=frozenset(
            frozenset((line.proposed, line.other))
            for line in lines
            if line.decision == "distinct"
        ),
        names={
            line.proposed: line.name
            for line in lines
            if line.decision in ("merge", "name") and line.name
        },
        lines=tuple(line.row() for line in lines),
    )


def _conflicts(lines: list[Line]) -> list[tuple[int, str]]:
    """Lines that contradict an earlier line about the same crop or pair."""
    problems = _identity_conflicts([x for x in lines if x.about_identities])
    lines = [x for x in lines if not x.about_identities]
    seen: dict[str, list[Line]] = {}
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


def _identity_conflicts(lines: list[Line]) -> list[tuple[int, str]]:
    """A pair both merged and kept distinct; one animal given two names."""
    problems = []
    verdict: dict[frozenset[str], Line] = {}
    for line in lines:
        if line.decision == "name":
            continue
        pair = frozenset((line.proposed, line.other))
        earlier = verdict.get(pair)
        if earlier is not None and earlier.decision != line.decision:
            problems.append(
                (
                    line.number,
                    f"{line.proposed} and {line.other}: {line.decision} contradicts "
                    f"{earlier}; keep the line that is right and delete the other",
                )
            )
        verdict.setdefault(pair, line)
    # Names: one per animal (merged identities are one animal).
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for line in lines:
        if line.decision == "merge":
            parent[find(line.other)] = find(line.proposed)
    named: dict[str, Line] = {}
    for line in lines:
        if line.decision not in ("merge", "name") or not line.name:
            continue
        root = find(line.proposed)
        earlier = named.get(root)
        if earlier is not None and earlier.name != line.name:
            problems.append(
                (
                    line.number,
                    f"{line.proposed} is named {line.name!r} here but "
                    f"{earlier.name!r} by {earlier} (one animal, one name); keep "
                    "one name",
                )
            )
        named.setdefault(root, line)
    return problems


def _unknown(lines: list[Line], context: DecisionContext) -> list[tuple[int, str]]:
    """Lines naming a crop or an individual the season does not have."""
    named = {line.name for line in lines if line.decision in ("new", "name", "merge")}
    previous = set(context.previous.values()) | set(context.clusters)
    known = context.catalogue | previous | named
    own = {  # names the previous run gave because this file gave them
        line.name
        for line in lines
        if line.decision == "new" and context.previous.get(line.crop) == line.name
    }
    problems = []
    for line in lines:
        if line.about_identities:
            problem = _unknown_identity(line, context, known, previous, own)
            if problem:
                problems.append((line.number, problem))
            continue
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


def _unknown_identity(
    line: Line,
    context: DecisionContext,
    known: set[str],
    previous: set[str],
    own: set[str],
) -> str | None:
    """What a ``merge``/``distinct``/``name`` line names that does not exist."""
    for column, name in (
        ("proposed_individual", line.proposed),
        ("other_individual", line.other),
    ):
        if name and name not in known:
            return (
                f"{column} {name!r} is not a known individual (the catalogue, the "
                "previous run's identify/registry.parquet, a new_name of this "
                f"file){_did_you_mean(name, known)}; correct it"
            )
    if line.decision == "merge" and {line.proposed, line.other} <= context.catalogue:
        return (
            f"merge of {line.proposed} and {line.other}, two catalogue individuals; "
            "trapline never merges catalogue animals: correct the catalogue instead"
        )
    if line.decision == "name" and line.proposed in context.catalogue:
        return (
            f"{line.proposed!r} is a catalogue individual and keeps its name; rename "
            "it in the catalogue instead"
        )
    if line.name and line.name in context.catalogue:
        return (
            f"new_name {line.name!r} is a catalogue individual; write a merge of "
            f"{line.proposed} with other_individual {line.name} instead"
        )
    holds = context.previous_names.get(line.name, frozenset())
    if line.name in previous - own and not holds & {line.proposed, line.other}:
        return (
            f"new_name {line.name!r} is already another individual of the previous "
            "run; merge with it instead, or choose another name"
        )
    return None


def _did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""
