"""Identification on a real simulated season: tracks, new animals, stable IDs, review.

The tiny season is rendered by the simulator; crops are cut from its true boxes
(there is no detection stage here), and every identification runs real SIFT.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from trapline.identify import (
    IdentifySettings,
    constrained_clusters,
    identify,
    link_tracks,
    scoring,
    stable_ids,
)
from trapline.identify.background import build_backgrounds
from trapline.identify.calibration import fit_calibration
from trapline.identify.catalogue import read_catalogue
from trapline.identify.decide import new_individuals
from trapline.identify.decisions import DecisionsError
from trapline.identify.features import reference_features
from trapline.identify.localfeatures import Features
from trapline.identify.progress import Progress
from trapline.identify.scoring import PairCache, catalogue_index, crop_pairs
from trapline.identify.shortlist import ShortlistSettings, top_owners
from trapline.identify.stage import IdentifyInputs, IdentifyOutputs, identify_stage
from trapline.identify.store import CropStore
from trapline.simulate import SeasonSettings, simulate_season

PADDING = 0.05


def season_tables(root: Path, out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Crops and images tables for a simulated season, as the pipeline writes them."""
    truth = pd.read_parquet(root / "truth" / "detections.parquet")
    truth = truth[truth["category"] == "animal"].reset_index(drop=True)
    images, crops = [], []
    for path, group in truth.groupby("path", sort=True):
        image_id = path.replace("/", "_").removesuffix(".JPG")
        first = group.iloc[0]
        deployment = f"{first['station']}__{first['camera']}"
        frame = Image.open(root / "images" / path)
        w, h = frame.size
        images.append(
            {
                "image_id": image_id,
                "path": path,
                "deployment_id": deployment,
                "sequence_id": f"{deployment}:{first['event_id']}",
                "datetime": first["datetime"],
                "width": w,
                "height": h,
            }
        )
        for k, det in enumerate(group.itertuples()):
            px, py = det.bbox_w * w * PADDING, det.bbox_h * h * PADDING
            left, top = (
                max(0, round(det.bbox_x * w - px)),
                max(0, round(det.bbox_y * h - py)),
            )
            right = min(w, round((det.bbox_x + det.bbox_w) * w + px))
            bottom = min(h, round((det.bbox_y + det.bbox_h) * h + py))
            crop_path = f"crops/{image_id}_{k}.jpg"
            (out / "crops").mkdir(parents=True, exist_ok=True)
            frame.crop((left, top, right, bottom)).save(out / crop_path, quality=95)
            crops.append(
                {
                    "crop_id": f"{image_id}-{k}",
                    "image_id": image_id,
                    "crop_path": crop_path,
                    "bbox_x": det.bbox_x,
                    "bbox_y": det.bbox_y,
                    "bbox_w": det.bbox_w,
                    "bbox_h": det.bbox_h,
                    "species": det.species,
                    "crop_left": left,
                    "crop_top": top,
                    "crop_width": right - left,
                    "crop_height": bottom - top,
                    "true_id": det.individual_id,
                }
            )
    return pd.DataFrame(crops), pd.DataFrame(images)


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    root = tmp_path_factory.mktemp("season")
    simulate_season(root, SeasonSettings.tiny())
    work = tmp_path_factory.mktemp("work")
    crops, images = season_tables(root, work)
    return {
        "root": root,
        "work": work,
        "crops": crops,
        "images": images,
        "catalogue": read_catalogue(root / "catalogue"),
        "cache": work / "cache",
    }


def run(season, crops=None, images=None, shortlist=None, **kwargs):
    settings = IdentifySettings()
    if shortlist is not None:
        settings = dataclasses.replace(settings, shortlist=shortlist)
    return identify(
        season["crops"] if crops is None else crops,
        season["images"] if images is None else images,
        season["catalogue"],
        settings,
        crops_root=season["work"],
        images_root=season["root"] / "images",
        **({"feature_cache": season["cache"]} | kwargs),
    )


@pytest.fixture(scope="module")
def baseline(season):
    return run(season)


def test_every_target_crop_gets_exactly_one_identity(season, baseline):
    lynx = season["crops"][season["crops"]["species"] == "Lynx lynx"]
    ids = baseline.identities
    assert sorted(ids["crop_id"]) == sorted(lynx["crop_id"])
    assert set(ids["source"]) <= {"catalogue", "auto"}
    assert ids["score"].between(0, 1).all()
    assert set(ids["flank"]) <= {"left", "right", "unknown"}


def test_known_animals_are_recognised(season, baseline):
    merged = baseline.identities.merge(season["crops"], on="crop_id")
    known = merged[merged["true_id"].isin(set(season["catalogue"]["individual_id"]))]
    assert (known["individual_id"] == known["true_id"]).mean() >= 0.8
    unknown = merged[~merged.index.isin(known.index)]
    assert unknown["is_new"].mean() >= 0.8


def test_two_animals_in_one_image_never_share_an_individual(baseline):
    ids = baseline.identities.assign(image=lambda f: f["crop_id"].str[:-2])
    shared = ids.groupby("image").filter(lambda g: len(g) > 1)
    assert len(shared) > 0  # the tiny season has two-animal frames
    for _, group in shared.groupby("image"):
        assert group["individual_id"].is_unique


def test_a_track_gets_one_individual(baseline):
    per_track = baseline.identities.groupby("track_id")["individual_id"].nunique()
    assert (per_track == 1).all()
    assert (baseline.identities.groupby("track_id").size() > 1).any()


def test_calibration_report_states_threshold_and_precision(baseline):
    report = baseline.calibration["local"]
    assert 0 < report["threshold"] <= 1
    assert report["precision_at_threshold"] >= report["target_precision"] == 0.95
    assert report["n_positive_pairs"] > 0 < report["n_negative_pairs"]


def test_provisional_ids_survive_a_rerun_with_more_images(season, baseline):
    crops = season["crops"]
    last = season["images"].sort_values("datetime")["image_id"].iloc[-6:]
    first = run(season, crops=crops[~crops["image_id"].isin(last)])
    again = run(season, previous=first.identities)
    before = first.identities[first.identities["is_new"]]
    after = again.identities.set_index("crop_id").loc[before["crop_id"]]
    assert len(before) > 0
    assert list(after["individual_id"]) == list(before["individual_id"])


def test_rejected_match_is_never_proposed_and_confirmed_one_is_kept(season, baseline):
    ids = baseline.identities
    matched = ids[~ids["is_new"]].iloc[0]
    rejected = (matched["crop_id"], matched["individual_id"])
    other = ids[ids["track_id"] != matched["track_id"]].iloc[0]
    result = run(season, forbidden={rejected}, forced={other["crop_id"]: "LYX777"})
    row = result.identities.set_index("crop_id")
    assert row.loc[rejected[0], "individual_id"] != rejected[1]
    cands = result.candidates
    assert not (
        (cands["crop_id"] == rejected[0]) & (cands["individual_id"] == rejected[1])
    ).any()
    assert row.loc[other["crop_id"], "individual_id"] == "LYX777"
    assert row.loc[other["crop_id"], "source"] == "review"
    assert bool(row.loc[other["crop_id"], "is_new"])


def test_two_names_in_one_track_are_both_kept_and_reported(season, baseline):
    ids = baseline.identities
    sizes = ids["track_id"].value_counts()
    track = ids[ids["track_id"] == sizes.index[0]].sort_values("crop_id")
    assert len(track) >= 3, "the season has a track of three crops or more"
    first, second = track["crop_id"].iloc[0], track["crop_id"].iloc[1]
    result = run(season, forced={first: "LYX801", second: "LYX802"})
    row = result.identities.set_index("crop_id")
    # Neither person is overruled by a vote; the track's other crops follow one.
    assert row.loc[first, "individual_id"] == "LYX801"
    assert row.loc[second, "individual_id"] == "LYX802"
    rest = row.loc[track["crop_id"].iloc[2:], "individual_id"]
    assert set(rest) <= {"LYX801", "LYX802"}
    assert result.calibration["forced_conflicts"] == [
        {
            "track": str(track["track_id"].iloc[0]),
            "names": ["LYX801", "LYX802"],
            "crops": sorted([first, second]),
        }
    ]


def test_one_name_per_track_is_no_conflict():
    from trapline.identify.decide import forced_tracks

    tracks = pd.DataFrame({"track_id": ["t1", "t1", "t2"], "crop_id": ["a", "b", "c"]})
    names, conflicts = forced_tracks(tracks.groupby("track_id"), {"a": "X", "c": "Y"})
    assert names == {"t1": "X", "t2": "Y"} and conflicts == []


def _crop(crop_id, image_id, x, y, h):
    return {
        "crop_id": crop_id,
        "image_id": image_id,
        "bbox_x": x,
        "bbox_y": y,
        "bbox_w": h * 1.4,
        "bbox_h": h,
    }


def test_tracks_follow_each_animal_through_a_burst():
    images = pd.DataFrame(
        {
            "image_id": ["a", "b", "c", "d"],
            "sequence_id": ["s1", "s1", "s1", None],
            "datetime": pd.to_datetime(
                [
                    "2026-03-01 10:00:00",
                    "2026-03-01 10:00:01",
                    "2026-03-01 10:00:02",
                    "2026-03-01 11:00:00",
                ]
            ),
        }
    )
    crops = pd.DataFrame(
        [
            _crop("a-0", "a", 0.10, 0.40, 0.30),  # adult walking right
            _crop("a-1", "a", 0.05, 0.50, 0.20),  # juvenile behind it
            _crop("b-0", "b", 0.32, 0.51, 0.20),
            _crop("b-1", "b", 0.30, 0.40, 0.30),
            _crop("c-0", "c", 0.55, 0.40, 0.30),
            _crop("c-1", "c", 0.50, 0.50, 0.20),
            _crop("d-0", "d", 0.50, 0.50, 0.20),
        ]
    )
    tracks = link_tracks(crops, images).set_index("crop_id")
    adult = tracks.loc[["a-0", "b-1", "c-0"], "track_id"]
    young = tracks.loc[["a-1", "b-0", "c-1"], "track_id"]
    assert adult.nunique() == 1 and young.nunique() == 1
    assert adult.iloc[0] != young.iloc[0]
    assert set(tracks.loc[["a-0", "a-1"], "motion_flank"]) == {"right"}
    assert tracks.loc["d-0", "motion_flank"] == "unknown"
    assert tracks["track_id"].nunique() == 3


def test_clusters_refuse_links_between_animals_of_one_image_or_other_flank():
    images = {"t1": {"x"}, "t2": {"y"}, "t3": {"x"}, "t4": {"z"}}
    flanks = {"t1": "left", "t2": "unknown", "t3": "left", "t4": "right"}
    probability = {("t1", "t2"): 0.99, ("t2", "t3"): 0.98, ("t2", "t4"): 0.97}
    groups = constrained_clusters(sorted(images), probability, 0.5, images, flanks)
    assert groups == [["t1", "t2"], ["t3"], ["t4"]]


def test_one_strong_pair_does_not_chain_two_animals():
    items = ["a1", "a2", "b1", "b2"]
    probability = {("a1", "a2"): 0.9, ("b1", "b2"): 0.9, ("a2", "b1"): 0.6}
    images = {item: {item} for item in items}
    flanks = dict.fromkeys(items, "unknown")
    groups = constrained_clusters(items, probability, 0.5, images, flanks)
    assert groups == [["a1", "a2"], ["b1", "b2"]]


def test_stable_ids_keep_previous_names_and_never_reuse_numbers():
    previous = {"c1": "NEW0002", "c2": "NEW0002", "c3": "NEW0005"}
    clusters = [["c9"], ["c1", "c2", "c4"], ["c3"]]
    names = stable_ids(clusters, previous, {"LYX001"}, forbidden={("c3", "NEW0005")})
    assert names == ["NEW0006", "NEW0002", "NEW0007"]


def test_global_candidates_are_verified_and_fused(season):
    catalogue = season["catalogue"]
    lynx = season["crops"][season["crops"]["species"] == "Lynx lynx"]
    rng = np.random.default_rng(0)
    shortlist = catalogue["ref_id"].iloc[:3].tolist()
    candidates = pd.DataFrame(
        [(c, r, float(rng.uniform())) for c in lynx["crop_id"] for r in shortlist],
        columns=["crop_id", "ref_id", "global_score"],
    )
    with pytest.raises(ValueError, match="reference_scores"):
        run(season, candidates=candidates)
    reference_scores = pd.DataFrame(
        [
            (a, b, float(rng.uniform()))
            for i, a in enumerate(catalogue["ref_id"])
            for b in catalogue["ref_id"].iloc[i + 1 :]
        ],
        columns=["ref_a", "ref_b", "global_score"],
    )
    result = run(season, candidates=candidates, reference_scores=reference_scores)
    assert set(result.candidates["ref_id"]) <= set(shortlist)
    assert result.candidates["global_score"].notna().all()
    assert result.calibration["fused"]["features"] == ["log1p_inliers", "global_score"]
    assert len(result.identities) == len(lynx)


def _verified(caplog) -> list[tuple[int, int]]:
    """(verified now, from cache) of each identification since caplog.clear()."""
    found = []
    for record in caplog.records:
        if record.getMessage().startswith("crop pairs verified now"):
            now, cached = record.args
            found.append((now, cached))
    return found


def _without(season, image_ids):
    """The crops and images tables of the season before ``image_ids`` came in."""
    crops, images = season["crops"], season["images"]
    return (
        crops[~crops["image_id"].isin(image_ids)],
        images[~images["image_id"].isin(image_ids)],
    )


def test_a_rerun_after_a_new_card_verifies_only_the_pairs_of_its_crops(
    season, tmp_path, caplog
):
    """A card of a new deployment leaves every other background, so every other
    crop's features and pair counts, as they were."""
    images = season["images"]
    card = images.loc[images["deployment_id"] == "ST02__A", "image_id"]
    lynx = season["crops"][season["crops"]["species"] == "Lynx lynx"]
    n_new = int(lynx["image_id"].isin(card).sum())
    assert n_new > 0
    cache = tmp_path / "cache"
    crops_before, images_before = _without(season, card)
    first = run(season, crops_before, images_before, feature_cache=cache)
    caplog.set_level(logging.INFO, logger="trapline.identify.core")
    caplog.clear()
    again = run(season, feature_cache=cache, previous=first.identities)
    n_refs = len(season["catalogue"])
    assert _verified(caplog) == [(n_new * n_refs, (len(lynx) - n_new) * n_refs)]
    fresh = run(season, feature_cache=None, previous=first.identities)
    pd.testing.assert_frame_equal(again.identities, fresh.identities)
    pd.testing.assert_frame_equal(again.candidates, fresh.candidates)
    assert len(first.identities) == len(lynx) - n_new


def test_an_incremental_run_equals_a_fresh_run_when_new_frames_change_a_background(
    season, tmp_path, caplog
):
    """New frames of a deployment change its background, hence the masks and
    features of its earlier crops: their cached features and pair counts must not
    be reused, or the rerun drifts from a fresh run."""
    images = season["images"]
    station = images[images["deployment_id"] == "ST03__A"].sort_values("datetime")
    later = station["image_id"].iloc[-3:]
    lynx = season["crops"][season["crops"]["species"] == "Lynx lynx"]
    n_new = int(lynx["image_id"].isin(later).sum())
    cache = tmp_path / "cache"
    crops_before, images_before = _without(season, later)
    first = run(season, crops_before, images_before, feature_cache=cache)
    caplog.set_level(logging.INFO, logger="trapline.identify.core")
    caplog.clear()
    again = run(season, feature_cache=cache, previous=first.identities)
    [(now, _)] = _verified(caplog)
    fresh = run(season, feature_cache=tmp_path / "fresh", previous=first.identities)
    pd.testing.assert_frame_equal(again.candidates, fresh.candidates)
    pd.testing.assert_frame_equal(again.identities, fresh.identities)
    assert now > n_new * len(season["catalogue"])  # ST03__A's earlier crops too


def test_torn_cache_files_are_recomputed(season, tmp_path, caplog):
    """A cache file cut short (a killed job, a full disk) is a miss, not a crash."""
    cache = tmp_path / "cache"
    first = run(season, feature_cache=cache)
    files = sorted(p for p in cache.iterdir())
    kinds = {p.name.split("-")[0].split(".")[0] for p in files}
    assert kinds == {"background", "crop", "ref", "pairs"}
    assert not [p for p in files if "tmp" in p.name]
    for path in files:
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    caplog.set_level(logging.WARNING, logger="trapline.identify.cache")
    again = run(season, feature_cache=cache)
    torn = {r.args[0] for r in caplog.records if "unreadable" in r.getMessage()}
    assert torn == set(files)
    pd.testing.assert_frame_equal(again.identities, first.identities)
    pd.testing.assert_frame_equal(again.candidates, first.candidates)
    for path in cache.glob("*.npz"):  # written whole again
        with np.load(path) as data:
            assert data.files
    assert sorted(cache.iterdir()) == files


def test_the_stage_checks_decisions_and_accepts_a_file_applied_before(season, tmp_path):
    """Decisions are checked against the season's crops, the catalogue and the
    previous run (identify/registry.parquet), and a file that was applied once
    applies again on the next run."""
    tables = tmp_path / "tables"
    tables.mkdir()
    images = season["images"].assign(
        station=lambda f: f["deployment_id"].str.split("__").str[0],
        camera=lambda f: f["deployment_id"].str.split("__").str[1],
    )
    season["crops"].to_parquet(tables / "crops.parquet")
    images.to_parquet(tables / "images.parquet")
    results = tmp_path / "results"
    out = IdentifyOutputs(
        identities=results / "identities.parquet",
        candidates=results / "identify/candidates.parquet",
        calibration=results / "identify/calibration.json",
        similar=results / "identify/similar.parquet",
    )

    def stage(decisions=None):
        inputs = IdentifyInputs(
            crops=tables / "crops.parquet",
            images=tables / "images.parquet",
            catalogue=season["root"] / "catalogue",
            results=season["work"],
            images_root=season["root"] / "images",
            decisions=decisions,
        )
        identify_stage(inputs, IdentifySettings(), out)
        return pd.read_parquet(out.identities).set_index("crop_id")

    before = stage()
    new = before[before["is_new"]].iloc[0]
    decisions = tmp_path / "decisions.csv"
    decisions.write_text(
        "crop_id,proposed_individual,decision,new_name,note\n"
        f"{new.name},{new['individual_id']},new,Tom,named in review, by Ann\n"
        f"{new.name}x,LYX001,same,,\n"
    )
    with pytest.raises(DecisionsError, match=f"decisions {decisions}, line 3: crop_id"):
        stage(decisions)
    decisions.write_text("\n".join(decisions.read_text().splitlines()[:2]) + "\n")
    for _ in range(2):  # the second run finds Tom in the registry, given by this file
        after = stage(decisions)
        assert after.loc[new.name, "individual_id"] == "Tom"
        assert after.loc[new.name, "source"] == "review"


# --- the shortlist: which pairs are verified ---------------------------------


def test_descriptor_votes_put_the_true_individual_first_on_the_tiny_season(season):
    """Weight-free retrieval: each crop's best-voted reference (of all 8, either
    flank) is of its true individual, so a shortlist of k ≥ 1 keeps it."""
    local = IdentifySettings().local
    lynx = season["crops"][season["crops"]["species"] == "Lynx lynx"]
    catalogue = season["catalogue"]
    known = lynx[lynx["true_id"].isin(set(catalogue["individual_id"]))]
    backgrounds = build_backgrounds(
        season["images"], season["crops"], season["root"] / "images", local
    )
    store = CropStore(known, season["images"], season["work"], backgrounds, local)
    refs = reference_features(catalogue, local)
    index = catalogue_index(catalogue["ref_id"].tolist(), refs, ShortlistSettings())
    individuals = catalogue["individual_id"].to_numpy()
    feats = store.load(known["crop_id"].tolist())
    hits = []
    for crop_id, true_id in zip(known["crop_id"], known["true_id"], strict=True):
        votes = index.votes(feats[crop_id].descriptors, len(catalogue))
        top = top_owners(votes, np.ones(len(catalogue), bool), 1)
        hits.append(len(top) == 1 and individuals[top[0]] == true_id)
    assert len(hits) >= 20
    assert np.mean(hits) >= 0.9


def test_an_incremental_run_equals_a_fresh_run_with_the_shortlist(
    season, tmp_path, caplog
):
    """Shortlists depend only on a crop's own features and the catalogue, so a
    rerun verifies the same pairs (read back from both pair caches)."""
    tight = ShortlistSettings(
        references=2, individuals=1, verify_all_max_refs=0, tracks=2
    )
    crops, images = season["crops"], season["images"]
    later = images.sort_values("datetime")["image_id"].iloc[-6:]
    cache = tmp_path / "cache"
    first = run(season, *_without(season, later), feature_cache=cache, shortlist=tight)
    caplog.set_level(logging.INFO)
    caplog.clear()
    again = run(season, feature_cache=cache, previous=first.identities, shortlist=tight)
    [(now, cached)] = _verified(caplog)
    assert cached > 0
    assert len(again.candidates) == now + cached
    assert again.candidates.groupby("crop_id").size().max() <= 4  # 2 refs/flank
    reps = [
        r for r in caplog.records if "representative pairs verified" in r.getMessage()
    ]
    assert "from cache" in reps[-1].getMessage()
    fresh = run(season, feature_cache=None, previous=first.identities, shortlist=tight)
    pd.testing.assert_frame_equal(again.identities, fresh.identities)
    pd.testing.assert_frame_equal(again.candidates, fresh.candidates)
    assert len(crops) > len(first.identities)


def coat(rng: np.random.Generator, n: int = 120) -> tuple[np.ndarray, np.ndarray]:
    """An animal's spots: positions in a 256 px tall box and RootSIFT-like vectors."""
    xy = rng.uniform((0, 0), (380, 256), (n, 2))
    raw = rng.gamma(0.3, size=(n, 128))
    return xy, np.sqrt(raw / raw.sum(1, keepdims=True))


def sighting(
    rng: np.random.Generator, animal: tuple[np.ndarray, np.ndarray], key: str
) -> Features:
    """One picture of ``animal``: 70 % of its spots, moved by a small affine map,
    their descriptors perturbed, and 40 unrelated keypoints of clutter."""
    xy, desc = animal
    keep = rng.random(len(xy)) < 0.7
    angle, scale = rng.normal(0, 0.05), rng.uniform(0.9, 1.1)
    rot = scale * np.array(
        [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    )
    moved = (
        xy[keep] @ rot.T + rng.normal(0, 20, 2) + rng.normal(0, 1.5, (keep.sum(), 2))
    )
    noisy = np.abs(desc[keep] + rng.normal(0, 0.03, desc[keep].shape))
    _, clutter = coat(rng, 40)
    descriptors = np.vstack([noisy, clutter])
    descriptors /= np.linalg.norm(descriptors, axis=1, keepdims=True)
    points = np.vstack([moved, rng.uniform((0, 0), (380, 256), (40, 2))])
    return Features(points.astype(np.float32), descriptors.astype(np.float32), key)


@pytest.fixture
def count_verified(monkeypatch):
    """Pairs given to geometric verification, counted."""
    counted = [0]
    real = scoring.verify_many

    def counting(query, others, settings):
        counted[0] += len(others)
        return real(query, others, settings)

    monkeypatch.setattr(scoring, "verify_many", counting)
    return counted


def synthetic_scores(n_animals: int, seed: int, shortlist: ShortlistSettings):
    """A catalogue of ``n_animals`` × 2 references and 5 crops per animal."""
    rng = np.random.default_rng(seed)
    animals = [coat(rng) for _ in range(n_animals)]
    rows, refs, crops = [], {}, {}
    for a, animal in enumerate(animals):
        for r in range(2):
            ref_id = f"A{a:03d}-ref{r}"
            refs[ref_id] = sighting(rng, animal, ref_id)
            rows.append((ref_id, f"A{a:03d}", "left"))
        for c in range(5):
            crops[f"A{a:03d}-crop{c}"] = sighting(rng, animal, f"A{a:03d}-crop{c}")
    catalogue = pd.DataFrame(rows, columns=["ref_id", "individual_id", "flank"])
    crop_ids = sorted(crops)
    allowed = dict.fromkeys(crop_ids, np.ones(len(catalogue), bool))
    return crop_pairs(
        crop_ids, CropStore.of(crops), catalogue, refs, None, allowed, shortlist,
        IdentifySettings().local, PairCache(None),
    )  # fmt: skip


def test_crop_verification_grows_with_the_season_not_its_square(count_verified):
    """4× the crops and 4× the catalogue: the full cross join verifies 16× the
    pairs, the shortlist about 4×, and the right reference stays on it."""
    shortlist = ShortlistSettings(references=3, individuals=1, verify_all_max_refs=0)
    counts, right = [], []
    for n_animals in (6, 24):
        count_verified[0] = 0
        pairs = synthetic_scores(n_animals, seed=n_animals, shortlist=shortlist)
        counts.append(count_verified[0])
        best = pairs.loc[pairs.groupby("crop_id")["inliers"].idxmax()]
        right.append((best["ref_id"].str[:4] == best["crop_id"].str[:4]).mean())
    assert counts[0] == 6 * 5 * 3  # 3 best-voted references per crop, no more
    assert counts[1] / counts[0] <= 5
    assert min(right) >= 0.95


@pytest.mark.parametrize("nearest", ["votes", "embeddings"])
def test_new_animal_verification_grows_with_the_tracks_not_their_square(
    count_verified, nearest
):
    """Unmatched tracks are compared with their nearest tracks only (by
    descriptor votes, or by embedding when crops have one): 4× the tracks verify
    about 4× the pairs (not 16×), and the animals come out whole."""
    calibration = fit_calibration(
        pd.DataFrame(
            {"same": [True] * 4 + [False] * 8, "inliers": [30, 50, 60, 80] + [0] * 8}
        ),
        0.95,
        uses_global=False,
    )
    shortlist = ShortlistSettings(tracks=4)
    counts = []
    for n_animals in (6, 24):
        rng = np.random.default_rng(n_animals)
        feats, rows, vectors = {}, [], {}
        for a in range(n_animals):
            animal, centre = coat(rng), rng.normal(size=16)
            for t in range(4):
                crop_id = f"A{a:03d}-{t}"
                feats[crop_id] = sighting(rng, animal, crop_id)
                vectors[crop_id] = centre + rng.normal(0, 0.3, 16)
                rows.append((crop_id, f"img-{crop_id}", f"track-{crop_id}", "unknown"))
        tracks = pd.DataFrame(
            rows, columns=["crop_id", "image_id", "track_id", "motion_flank"]
        )
        count_verified[0] = 0
        groups = new_individuals(
            list(tracks["track_id"]), tracks, CropStore.of(feats), calibration, 1,
            IdentifySettings().local, shortlist,
            embeddings=vectors if nearest == "embeddings" else None,
        )  # fmt: skip
        counts.append(count_verified[0])
        assert counts[-1] <= 4 * n_animals * shortlist.tracks
        assert sorted(groups) == [
            [f"track-A{a:03d}-{t}" for t in range(4)] for a in range(n_animals)
        ]
    assert counts[1] / counts[0] <= 5


def test_progress_says_how_much_is_done_its_rate_and_what_remains(caplog):
    now = [0.0]
    progress = Progress("verification", 100, "crops", clock=lambda: now[0])
    caplog.set_level(logging.INFO, logger="trapline.identify.progress")
    for _ in range(100):
        now[0] += 0.5
        progress.advance()
    progress.finish()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 5  # every 10 s of a 50 s run, then the summary
    assert lines[0] == "verification: 20/100 crops (20 %), 2.0 crops/s, about 40 s left"
    assert lines[-1] == "verification: 100 crops in 50 s"


def test_two_threads_give_what_one_gives(season, baseline):
    """Features and verifications on two threads: the same identities, the same
    candidates, in the same order."""
    again = run(season, feature_cache=None, threads=2)
    pd.testing.assert_frame_equal(again.identities, baseline.identities)
    pd.testing.assert_frame_equal(again.candidates, baseline.candidates)


def test_calibration_on_a_sample_of_a_large_catalogues_negatives():
    """Above ``calibration_pairs`` the negatives are a seeded sample, each
    weighing for those left out: every positive kept, the weights add up to the
    catalogue's negatives, the sample is the same on a rerun, and the threshold
    and precision are those of every pair (within the sample's noise)."""
    from trapline.identify.calibration import catalogue_pairs

    catalogue = pd.DataFrame(
        [(f"R{a:03d}-{k}", f"A{a:03d}", "left") for a in range(120) for k in range(3)],
        columns=["ref_id", "individual_id", "flank"],
    )
    full = catalogue_pairs(catalogue)
    sample = catalogue_pairs(catalogue, max_pairs=5_000)
    n_pos = int(full["same"].sum())
    assert len(full) == 360 * 359 // 2 and n_pos == 120 * 3
    assert len(sample) == 5_000 and int(sample["same"].sum()) == n_pos
    negatives = sample[~sample["same"]]
    assert negatives["weight"].sum() == pytest.approx(len(full) - n_pos)
    assert sample.equals(catalogue_pairs(catalogue, max_pairs=5_000))
    assert catalogue_pairs(catalogue, max_pairs=len(full)).equals(full)

    def inliers(pairs: pd.DataFrame) -> np.ndarray:
        # positives 8-60 inliers; negatives mostly 0-6, a tail up to 20
        noise = np.random.default_rng(0).random(len(full))
        keys = zip(full["ref_a"], full["ref_b"], strict=True)
        table = dict(zip(keys, noise, strict=True))
        wanted = zip(pairs["ref_a"], pairs["ref_b"], strict=True)
        u = np.array([table[key] for key in wanted])
        return np.where(
            pairs["same"], 8 + 52 * u, np.where(u > 0.995, 20 * u, 6 * u)
        ).round()

    fits = []
    for pairs in (full, sample):
        fits.append(fit_calibration(pairs.assign(inliers=inliers(pairs)), 0.95, False))
    assert fits[0].report["n_negative_pairs"] == len(full) - n_pos
    assert fits[1].report["n_negative_pairs"] == 5_000 - n_pos
    assert fits[1].report["n_negative_pairs_in_catalogue"] == len(full) - n_pos
    for k in (0, 1):
        assert fits[k].report["precision_at_threshold"] >= 0.95
    full_p = fits[0].probability(np.arange(0, 40))
    sample_p = fits[1].probability(np.arange(0, 40))
    assert np.abs(full_p - sample_p).max() < 0.1
    called = [
        int(np.argmax(f.probability(np.arange(0, 61)) >= f.threshold)) for f in fits
    ]
    assert abs(called[0] - called[1]) <= 2, called


def test_a_vote_search_scans_the_same_budget_whatever_the_season():
    from trapline.identify.shortlist import lists, probes

    settings = ShortlistSettings()
    scanned = []
    for n in (557_000, 2_500_000, 5_500_000):
        nlist = lists(n)
        scanned.append(probes(n, nlist, settings) * n / nlist)
    # Lists grow as sqrt(n): a fixed nprobe would scan 3.1x more at 10x the season.
    assert max(scanned) / min(scanned) < 1.4
    assert probes(557_000, lists(557_000), settings) == settings.nprobe
    assert probes(10**9, 10, settings) == 1  # never fewer than one list
