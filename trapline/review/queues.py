"""The three queues of the review: uncertain matches, new animals, flank links.

A person's time is the scarcest thing in the pipeline, so each queue holds only
what the machine cannot settle, ordered by how much an answer changes the
capture history:

1. **matches**: tracks whose catalogue match has a low margin, or whose "new
   animal" call has a catalogue candidate close to the threshold. One item per
   track (its crops share one decision), least certain first.
2. **animals**: one gallery per provisional animal: confirm, split, merge, name.
   Animals with few captures first: a fragment of another animal (a flank seen
   once, a blurred passage) is the likeliest error and the one that inflates
   the number of individuals most.
3. **flanks**: pairs of a left-only and a right-only identity that may be one
   animal, by evidence from the captures (shared stations, the same station on
   the same night) and never seen at two stations at once; strongest evidence
   first. Pairs a person called ``distinct`` are never proposed again.

Everything here is plain tables in, plain dicts out (the page's data); images
and the page itself are written by :mod:`trapline.review.folder`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from trapline.identify.decisions import ReviewDecisions
from trapline.review.evidence import flank_evidence


@dataclass(frozen=True)
class ReviewSettings:
    """Config ``review``.

    Args:
        low, high: the review band (config ``identify.review_low``/``_high``): a
            match below ``high``, or a new-animal call whose best candidate
            reaches ``low``, goes to the matches queue.
        candidates: candidate individuals shown per match.
        gallery_crops: crops of an animal shown at first in its gallery, one
            per passage first (the rest one key away); with ``track_crops`` and
            ``flank_crops`` the count of crops a person sees.
        track_crops: other crops of a match's track shown at first beside its
            crop (the whole track one key away): the frames of one passage are
            one animal by construction, so the best one usually decides.
        flank_crops: crops per side of a flank link, one per passage first.
        lookalikes: the identities an animal looks most like, shown under its
            gallery (the first is the proposed merge): one picture each.
        flank_proposals: flank-link proposals per identity, best first.
        thumbnail_px: longest side of the images copied into the folder.
    """

    low: float = 0.2
    high: float = 0.9
    candidates: int = 3
    gallery_crops: int = 2
    track_crops: int = 0
    flank_crops: int = 1
    lookalikes: int = 1
    flank_proposals: int = 2
    thumbnail_px: int = 320


@dataclass(frozen=True)
class Season:
    """The tables the queues are built from.

    Args:
        identities: ``identities.parquet``.
        candidates: ``identify/candidates.parquet``.
        crops: target crops (``crop_id, image_id``) joined with their images'
            ``station, camera, datetime``.
        catalogue: ``ref_id, individual_id, flank``.
        decisions: what people decided before (applied by the identify rule).
    """

    identities: pd.DataFrame
    candidates: pd.DataFrame
    crops: pd.DataFrame
    catalogue: pd.DataFrame
    decisions: ReviewDecisions = ReviewDecisions()
    similar: pd.DataFrame | None = None
    """Verified pairs of crops of different tracks (``crop_a, crop_b,
    inliers``), from the identify rule."""


def match_items(season: Season, settings: ReviewSettings) -> list[dict]:
    """Tracks whose automatic call is uncertain, least certain first."""
    ids = season.identities[season.identities["source"] != "review"]
    cands = season.candidates.sort_values(["crop_id", "rank"])
    best = cands.drop_duplicates("crop_id").set_index("crop_id")
    of_crop = {crop: group for crop, group in cands.groupby("crop_id", sort=False)}
    rejected_for: dict[str, set[str]] = defaultdict(set)
    for crop, individual in season.decisions.forbidden:
        rejected_for[crop].add(individual)
    items = []
    forced = season.decisions.forced
    for track_id, track in ids.groupby("track_id", sort=False):
        if any(c in forced for c in track["crop_id"]):
            continue  # a person decided it (the identify rule applied it)
        track = track.sort_values("crop_id")
        crop = _best_crop(track, best)
        if crop is None:
            continue
        row = track.set_index("crop_id").loc[crop]
        p = float(best.loc[crop, "probability"])
        if not row["is_new"]:
            if float(row["score"]) >= settings.high:
                continue
        elif p < settings.low:
            continue
        per_individual = of_crop[crop].sort_values("probability", ascending=False)
        per_individual = per_individual.drop_duplicates("individual_id")
        rejected = set().union(*(rejected_for[c] for c in track["crop_id"]))
        per_individual = per_individual[~per_individual["individual_id"].isin(rejected)]
        shown = per_individual.head(settings.candidates)
        if shown.empty:
            continue
        items.append(
            {
                "key": f"match:{track_id}",
                "track": str(track_id),
                "crop": crop,
                "track_crops": [c for c in track["crop_id"] if c != crop][
                    : settings.track_crops
                ],
                "all_track_crops": [c for c in track["crop_id"] if c != crop],
                "n_track_crops": len(track),
                "call": str(row["individual_id"]),
                "is_new": bool(row["is_new"]),
                "score": round(float(row["score"]), 3),
                "candidates": [
                    {
                        "individual": str(c.individual_id),
                        "probability": round(float(c.probability), 3),
                        "inliers": int(c.inliers),
                        "ref": str(c.ref_id),
                    }
                    for c in shown.itertuples()
                ],
                "certainty": round(abs(p - 0.5), 3),
            }
        )
    items.sort(key=lambda item: (item["certainty"], item["key"]))
    return items


def _best_crop(track: pd.DataFrame, best: pd.DataFrame) -> str | None:
    """The track's crop with the most inliers to its best candidate."""
    scored = [c for c in track["crop_id"] if c in best.index]
    if not scored:
        return None
    return max(scored, key=lambda c: (int(best.loc[c, "inliers"]), c))


def animal_items(season: Season, settings: ReviewSettings) -> list[dict]:
    """One gallery per provisional animal, fewest captures first."""
    ids = season.identities
    new = ids[ids["is_new"].astype(bool)]
    confirmed = _confirmed(season)
    suggestions = _lookalikes(season, settings.lookalikes)
    track_of = _tracks(season)
    where = season.crops.set_index("crop_id")
    items = []
    for individual, group in new.groupby("individual_id"):
        if individual in confirmed:
            continue
        crops = _spread(track_of, group["crop_id"].tolist(), settings.gallery_crops)
        items.append(
            {
                "key": f"animal:{individual}",
                "individual": str(individual),
                "crops": crops,
                "all_crops": sorted(group["crop_id"]),
                "n_crops": len(group),
                "n_tracks": int(group["track_id"].nunique()),
                "lookalikes": suggestions.get(individual, []),
                **_where(where, group),
            }
        )
    items.sort(key=lambda item: (item["n_tracks"], item["n_crops"], item["key"]))
    return items


def _lookalikes(season: Season, n: int) -> dict[str, list[dict]]:
    """Per identity, the other identities it is most like: the most inliers
    between any crop of each (verified new-animal pairs, and catalogue
    candidates), those a person called distinct left out."""
    owner = dict(
        zip(
            season.identities["crop_id"],
            season.identities["individual_id"],
            strict=True,
        )
    )
    best: dict[tuple[str, str], tuple[int, str, str]] = {}
    pairs: list[tuple[str, str, int, str, str]] = []  # crop, other, n, shown, kind
    sim = season.similar
    for mine, theirs in (("crop_a", "crop_b"), ("crop_b", "crop_a")):
        if sim is None or sim.empty:
            break
        pairs += list(
            zip(
                sim[mine],
                sim[theirs].map(owner),
                sim["inliers"],
                sim[theirs],
                ["crop"] * len(sim),
                strict=True,
            )
        )
    cands = season.candidates[season.candidates["inliers"] > 0]
    pairs += list(
        zip(
            cands["crop_id"],
            cands["individual_id"],
            cands["inliers"],
            cands["ref_id"],
            ["ref"] * len(cands),
            strict=True,
        )
    )
    for crop, other, inliers, shown, kind in pairs:
        mine = owner.get(crop)
        if mine is None or not isinstance(other, str) or other == mine:
            continue
        if frozenset((mine, other)) in season.decisions.distinct:
            continue
        if int(inliers) > best.get((mine, other), (-1, "", ""))[0]:
            best[(mine, other)] = (int(inliers), shown, kind)
    out: dict[str, list[dict]] = defaultdict(list)
    for (mine, other), (inliers, shown, kind) in sorted(
        best.items(), key=lambda kv: (-kv[1][0], kv[0])
    ):
        if len(out[mine]) < n:
            out[mine].append({"individual": other, "inliers": inliers, kind: shown})
    return dict(out)


def _confirmed(season: Season) -> set[str]:
    """Animals a person has decided whole: every crop confirmed, or every
    cluster of it named or merged by a person (a merged animal is not asked
    about again; an animal that gained an unreviewed cluster is)."""
    forced = season.decisions.forced
    d = season.decisions
    named = {x for pair in d.merges for x in pair} | set(d.names)
    out = set()
    for individual, group in season.identities.groupby("individual_id"):
        if all(forced.get(c) == individual for c in group["crop_id"]):
            out.add(individual)
        elif set(group["cluster_id"]) <= named:
            out.add(individual)
    return out


def _tracks(season: Season) -> dict[str, str]:
    """crop → its track (read once per queue, not once per item)."""
    ids = season.identities
    return dict(zip(ids["crop_id"], ids["track_id"], strict=True))


def _spread(track_of: dict[str, str], crop_ids: list[str], n: int) -> list[str]:
    """Up to ``n`` crops of an animal, one per track first (its different
    passages, not n frames of one)."""
    by_track: dict[str, list[str]] = defaultdict(list)
    for c in sorted(crop_ids):
        by_track[track_of[c]].append(c)
    out: list[str] = []
    rounds = max((len(v) for v in by_track.values()), default=0)
    for k in range(rounds):
        for track in sorted(by_track):
            if k < len(by_track[track]) and len(out) < n:
                out.append(by_track[track][k])
    return out


def _where(crops: pd.DataFrame, group: pd.DataFrame) -> dict:
    """Stations, first and last capture, flanks of an identity's crops.

    Args:
        crops: the target crops indexed by ``crop_id``.
    """
    crops = crops.loc[crops.index.intersection(group["crop_id"])]
    flanks = group["flank"].value_counts().to_dict()
    times = pd.to_datetime(crops["datetime"])
    return {
        "stations": sorted(crops["station"].astype(str).unique()),
        "first": times.min().isoformat() if len(times) else None,
        "last": times.max().isoformat() if len(times) else None,
        "flanks": {f: int(flanks.get(f, 0)) for f in ("left", "right", "unknown")},
    }


def flank_items(season: Season, settings: ReviewSettings) -> list[dict]:
    """Left-only and right-only identities that may be one animal.

    Evidence, per pair: stations where both were captured, and nights on which
    both were at one station. Pairs ever captured at two different stations
    within an hour are impossible and never proposed; so are two catalogue
    animals (the catalogue knows both flanks), pairs a person called distinct
    and pairs without a shared station.
    """
    ids = season.identities.merge(
        season.crops[["crop_id", "station", "datetime"]], on="crop_id"
    )
    ids["datetime"] = pd.to_datetime(ids["datetime"])
    side = {}
    for individual, group in ids.groupby("individual_id"):
        flanks = set(group["flank"]) - {"unknown"}
        if len(flanks) == 1:
            side[individual] = flanks.pop()
    lefts = sorted(i for i, f in side.items() if f == "left")
    rights = sorted(i for i, f in side.items() if f == "right")
    new = set(ids.loc[ids["is_new"].astype(bool), "individual_id"])
    captures = {i: g for i, g in ids.groupby("individual_id")}
    distinct = season.decisions.distinct
    # Only identities seen at one station can have evidence: pairs come from
    # the stations, not from every left × right (thousands of each in a season).
    at_station: dict[str, set[str]] = defaultdict(set)
    for individual in [*lefts, *rights]:
        for station in set(captures[individual]["station"]):
            at_station[station].add(individual)
    candidates = {
        (left, right)
        for seen in at_station.values()
        for left in seen
        if side[left] == "left"
        for right in seen
        if side[right] == "right"
    }
    pairs = []
    for left, right in sorted(candidates):
        if left not in new and right not in new:
            continue
        if frozenset((left, right)) in distinct:
            continue
        evidence = flank_evidence(captures[left], captures[right])
        if evidence is not None:
            pairs.append((left, right, evidence))
    # Each identity's best few proposals.
    pairs.sort(key=lambda p: (-p[2]["score"], p[0], p[1]))
    count: dict[str, int] = defaultdict(int)
    track_of = _tracks(season)
    items = []
    for left, right, evidence in pairs:
        if count[left] >= settings.flank_proposals:
            continue
        if count[right] >= settings.flank_proposals:
            continue
        count[left] += 1
        count[right] += 1
        items.append(
            {
                "key": f"flank:{left}+{right}",
                "left": str(left),
                "right": str(right),
                "left_crops": _spread(
                    track_of, captures[left]["crop_id"].tolist(), settings.flank_crops
                ),
                "right_crops": _spread(
                    track_of, captures[right]["crop_id"].tolist(), settings.flank_crops
                ),
                **evidence,
            }
        )
    return items


def build_queues(season: Season, settings: ReviewSettings) -> dict[str, list[dict]]:
    """The three queues, in the order a person works them."""
    return {
        "flanks": flank_items(season, settings),
        "animals": animal_items(season, settings),
        "matches": match_items(season, settings),
    }
