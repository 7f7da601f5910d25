"""The review queues and the self-contained review folder, on small tables."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from PIL import Image

from trapline.identify.decisions import ReviewDecisions
from trapline.review.folder import review_data, write_folder
from trapline.review.queues import ReviewSettings, Season, build_queues

TZ = "Etc/GMT-1"


def season(tmp_path: Path, decisions: ReviewDecisions | None = None):
    """Five identities: a catalogue match at p=0.6 (uncertain), a sure one, a
    left-only and a right-only new animal seen at one station on one night, and
    a new animal seen at another station at the same time as the left one."""
    rows = [
        # crop, individual, cluster, flank, track, station, time, source, score
        (
            "m1",
            "LYX001",
            "LYX001",
            "left",
            "t1",
            "S1",
            "2026-03-01 22:00",
            "catalogue",
            0.6,
        ),
        (
            "s1",
            "LYX002",
            "LYX002",
            "left",
            "t2",
            "S1",
            "2026-03-02 22:00",
            "catalogue",
            0.99,
        ),
        (
            "l1",
            "NEW0001",
            "NEW0001",
            "left",
            "t3",
            "S2",
            "2026-03-03 22:00",
            "auto",
            0.9,
        ),
        (
            "l2",
            "NEW0001",
            "NEW0001",
            "left",
            "t4",
            "S3",
            "2026-03-05 01:00",
            "auto",
            0.9,
        ),
        (
            "r1",
            "NEW0002",
            "NEW0002",
            "right",
            "t5",
            "S2",
            "2026-03-03 23:30",
            "auto",
            0.9,
        ),
        (
            "x1",
            "NEW0003",
            "NEW0003",
            "right",
            "t6",
            "S2",
            "2026-03-04 03:00",
            "auto",
            0.9,
        ),
        (
            "x2",
            "NEW0003",
            "NEW0003",
            "right",
            "t7",
            "S9",
            "2026-03-05 01:10",
            "auto",
            0.9,
        ),
    ]
    frame = pd.DataFrame(
        rows,
        columns=["crop_id", "individual_id", "cluster_id", "flank", "track_id",
                 "station", "datetime", "source", "score"],
    )  # fmt: skip
    frame["is_new"] = frame["individual_id"].str.startswith("NEW")
    frame["datetime"] = pd.to_datetime(frame["datetime"]).dt.tz_localize(TZ)
    identities = frame[[c for c in frame if c not in ("station", "datetime")]]
    crops = frame[["crop_id", "station", "datetime"]].assign(
        camera="A", image_id=frame["crop_id"]
    )
    candidates = pd.DataFrame(
        [
            ("m1", 1, "LYX001", "a b/LYX001 #1.jpg", None, 20, 0.6),
            ("m1", 2, "LYX002", "a b/LYX002 %2.jpg", None, 8, 0.1),
            ("s1", 1, "LYX002", "a b/LYX002 %2.jpg", None, 60, 0.99),
        ],
        columns=["crop_id", "rank", "individual_id", "ref_id", "global_score",
                 "inliers", "probability"],
    )  # fmt: skip
    catalogue = pd.DataFrame(
        {
            "ref_id": ["a b/LYX001 #1.jpg", "a b/LYX002 %2.jpg"],
            "individual_id": ["LYX001", "LYX002"],
            "flank": ["left", "left"],
        }
    )
    similar = pd.DataFrame({"crop_a": ["l1"], "crop_b": ["x1"], "inliers": [9]})
    decisions = decisions or ReviewDecisions()
    return Season(identities, candidates, crops, catalogue, decisions, similar)


def test_queues_hold_what_a_person_must_decide(tmp_path):
    queues = build_queues(season(tmp_path), ReviewSettings())
    assert [m["crop"] for m in queues["matches"]] == ["m1"]  # s1 is sure
    assert [c["individual"] for c in queues["matches"][0]["candidates"]] == [
        "LYX001",
        "LYX002",
    ]
    animals = [a["individual"] for a in queues["animals"]]
    assert animals == ["NEW0002", "NEW0001", "NEW0003"]  # fewest passages first
    looks = {a["individual"]: a["lookalikes"] for a in queues["animals"]}
    assert looks["NEW0001"][0]["individual"] == "NEW0003"
    # NEW0001 (left) and NEW0002 (right) shared a station on one night; NEW0003
    # was at S9 ten minutes after NEW0001 was at S3: never the same animal.
    assert [(f["left"], f["right"]) for f in queues["flanks"]] == [
        ("NEW0001", "NEW0002")
    ]
    assert queues["flanks"][0]["same_nights"] == 1


def test_decided_items_are_not_asked_again(tmp_path):
    decided = ReviewDecisions(
        forced={"m1": "LYX001"},
        merges=(("NEW0001", "NEW0003"),),
        distinct=frozenset({frozenset({"NEW0001", "NEW0002"})}),
    )
    queues = build_queues(season(tmp_path, decided), ReviewSettings())
    assert queues["flanks"] == []
    assert queues["matches"] == []
    assert "NEW0001" not in [a["individual"] for a in queues["animals"]]


def test_the_folder_holds_everything_it_shows_under_numbered_names(tmp_path):
    images = tmp_path / "odd <names> #%"
    images.mkdir()
    paths = {}
    for name in ("m1", "s1", "l1", "l2", "r1", "x1", "x2"):
        path = images / f"{name} #%<b>.jpg"
        Image.new("RGB", (64, 48), (120, 90, 60)).save(path)
        paths[name] = path
    refs = {}
    for ref in ("a b/LYX001 #1.jpg", "a b/LYX002 %2.jpg"):
        path = images / ref
        path.parent.mkdir(exist_ok=True)
        Image.new("RGB", (800, 600), (10, 10, 10)).save(path)
        refs[ref] = path
    out = tmp_path / "review"
    data = review_data(season(tmp_path), ReviewSettings(), paths, refs, [], out)
    write_folder(data, out)
    assert {p.name for p in out.iterdir()} == {
        "index.html", "app.js", "style.css", "data.js", "img",
    }  # fmt: skip
    shown = [v["img"] for v in data["crops"].values()] + [
        v["img"] for v in data["refs"].values()
    ]
    assert shown and all(s.startswith("img/") and ".." not in s for s in shown)
    assert all((out / s).is_file() for s in shown)
    with Image.open(out / data["refs"]["a b/LYX001 #1.jpg"]["img"]) as im:
        assert max(im.size) == ReviewSettings().thumbnail_px
    script = (out / "data.js").read_text()
    assert "<" not in script and ">" not in script  # no markup inside the script
    assert json.loads(script.split("=", 1)[1].rstrip(";\n")) == json.loads(
        json.dumps(data)
    )
