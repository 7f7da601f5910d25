"""A person's decisions about identities: merge two into one animal, name one.

The machine leaves a new animal as two identities when nothing linked its flanks,
and sometimes clusters one animal twice; only a person can say "NEW0003 and
NEW0007 are one lynx" or "NEW0002 is the catalogue's LYX011". Such decisions
name the identities the person saw on the review page. They are applied after
identification and the automatic flank links, on every run, so they keep
applying while the clusters keep their ids (``cluster_id``, which
:func:`~trapline.identify.clusters.stable_ids` keeps stable across reruns).
"""

from __future__ import annotations

import logging

import pandas as pd

from trapline.identify.decisions import ReviewDecisions
from trapline.identify.flanks import name_rank

log = logging.getLogger(__name__)


def apply_identity_decisions(
    identities: pd.DataFrame,
    decisions: ReviewDecisions,
    catalogue: set[str],
) -> tuple[pd.DataFrame, list[str]]:
    """Merge and name identities as a person decided.

    Args:
        identities: after the automatic flank links (``individual_id``,
            ``cluster_id``).
        decisions: the review decisions (``merges``, ``names``).
        catalogue: the catalogue's individuals (they keep their names, and two
            of them are never merged).

    Returns:
        The identities with ``individual_id`` rewritten, and what could not be
        applied (an identity that no longer exists, two catalogue animals).
    """
    if not decisions.merges and not decisions.names:
        return identities, []
    current = set(identities["individual_id"])
    alias = dict(
        zip(identities["cluster_id"], identities["individual_id"], strict=True)
    )
    given = {name: old for old, name in decisions.names.items()}

    def resolve(name: str) -> str | None:
        if name in current:
            return name
        if name in alias:
            return alias[name]
        if name in given:  # a name this file gave, before it was applied
            return resolve(given[name]) if given[name] != name else None
        return None

    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    skipped = []
    for a, b in decisions.merges:
        ra, rb = resolve(a), resolve(b)
        if ra is None or rb is None:
            missing = a if ra is None else b
            skipped.append(f"merge {a} + {b}: {missing} is not an identity of this run")
            continue
        ra, rb = find(ra), find(rb)
        if ra == rb:
            continue
        if ra in catalogue and rb in catalogue:  # a set's root is its catalogue name
            skipped.append(f"merge {a} + {b}: would join two catalogue individuals")
            continue
        keep, drop = sorted((ra, rb), key=lambda n: name_rank(n, catalogue))
        parent[drop] = keep
    names: dict[str, str] = {}
    for old, name in decisions.names.items():
        root = resolve(old)
        if root is None:
            skipped.append(f"name {old} {name}: {old} is not an identity of this run")
            continue
        root = find(root)
        if root in catalogue:
            continue  # catalogue animals keep their names
        names[root] = name
    for problem in skipped:
        log.warning("review decision not applied: %s", problem)
    out = identities.copy()
    out["individual_id"] = [
        names.get(find(i), find(i)) for i in identities["individual_id"]
    ]
    merged = int((out["individual_id"] != identities["individual_id"]).sum())
    log.info(
        "review: %d merges, %d names applied to %d crops",
        len(decisions.merges) - sum(s.startswith("merge") for s in skipped),
        len(names),
        merged,
    )
    return out, skipped
