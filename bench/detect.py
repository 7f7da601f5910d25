"""Benchmark: trapline's detect stage against MegaDetector's own batch runner.

Same model, same images, same machine, one script run. The model is an
architecture-true MegaDetector v5 stand-in (YOLOv5 v6.0 P6 at x6 size, random
weights) loaded by MegaDetector's real loader; the images are simulated
camera-trap JPEGs, N at 1920×1080 and N at 4000×3000, interleaved, picked from
frames with an animal in them. Both sides run at 1280 px.

- ours: ``python -m trapline.detect --threads 2`` (as the detect rule runs it);
- baselines: ``load_and_run_detector_batch(model, paths, n_cores=N, quiet=True)``
  as a MegaDetector user calls it on a CPU: ``n_cores=1`` (one process, torch on
  both cores; the faster of the two here) and ``n_cores=2`` (a pool with one
  model per core).

Each side is a fresh subprocess (imports and model loading count the same way),
run in turn (ours, n_cores=1, n_cores=2) ``--repeat`` times. Time is the
subprocess's wall time, start-up included (the user's view); memory is the peak of
the summed RSS of its whole process tree, sampled every 0.05 s (pool workers
included). Seasons, model and logs are cached under ``bench/out``.

    .venv/bin/python bench/detect.py --per-size 6 --repeat 2
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from process_tree import TreeSampler

from trapline.detect.megadetector import box_rows, raw_frame
from trapline.inventory.files import image_id
from trapline.testing.agreement import matched_boxes

OUT = Path("bench/out")
SIZES = [(1920, 1080), (4000, 3000)]
GIB = 2**30

# What a MegaDetector user runs; results go to the JSON file named by argv[4].
MD_USER_SCRIPT = """
import json, sys
from megadetector.detection.run_detector_batch import load_and_run_detector_batch
paths = json.loads(open(sys.argv[2]).read())
results = load_and_run_detector_batch(
    sys.argv[1], image_file_names=paths, n_cores=int(sys.argv[3]), quiet=True
)
with open(sys.argv[4], "w") as f:
    json.dump(results, f)
"""


@dataclass
class Run:
    """One subprocess run of one side."""

    side: str
    images: int
    wall_s: float
    peak_rss_gib: float
    peak_processes: int
    images_with_boxes: int
    boxes: pd.DataFrame
    """Raw-detection rows, keyed by image path (relative to ``OUT``)."""

    def as_dict(self) -> dict[str, object]:
        return {
            "side": self.side,
            "images": self.images,
            "wall_s": round(self.wall_s, 2),
            "s_per_image": round(self.wall_s / self.images, 3),
            "peak_rss_gib": round(self.peak_rss_gib, 3),
            "peak_processes": self.peak_processes,
            "images_with_boxes": self.images_with_boxes,
        }


def model() -> Path:
    """The x6 stand-in checkpoint (built once)."""
    path = OUT / "md_standin_x6.pt"
    if not path.exists():
        from trapline.testing.standins import megadetector_standin

        megadetector_standin(path, size="x6")
    return path


def pick_images(per_size: int) -> list[str]:
    """Paths relative to ``OUT``: ``per_size`` usable frames of each size, interleaved.

    Frames with an animal come first, spread evenly over the season; MegaDetector
    splits its list into one contiguous chunk per core, so interleaving the sizes
    keeps its workers evenly loaded.
    """
    from trapline.simulate import SeasonSettings, simulate_season

    picked: list[list[str]] = []
    for width, height in SIZES:
        root = OUT / f"detect-season-{width}x{height}"
        if not (root / "truth" / "files.parquet").exists():
            settings = SeasonSettings(
                seed=5,
                width=width,
                height=height,
                n_stations=4,
                paired_stations=1,
                n_individuals=4,
                days=6,
                processes=2,
            )
            simulate_season(root, settings)
        files = pd.read_parquet(root / "truth" / "files.parquet")
        usable = files[files["expected_reason"].isna() & (files["kind"] == "image")]
        boxes = pd.read_parquet(root / "truth" / "detections.parquet")
        with_animal = usable["path"].isin(boxes["path"])
        ordered = [*usable["path"][with_animal], *usable["path"][~with_animal]]
        if len(ordered) < per_size:
            raise SystemExit(f"{root}: only {len(ordered)} usable images")
        animals = int(with_animal.sum())
        step = max(1, animals // per_size) if animals >= per_size else 1
        chosen = ordered[::step][:per_size]
        picked.append([f"{root.relative_to(OUT)}/images/{p}" for p in chosen])
    return [p for pair in zip(*picked, strict=True) for p in pair]


def measure(side: str, command: list[str], log: Path) -> tuple[float, float, int]:
    """Run ``command``; return wall seconds, peak tree RSS (GiB), peak process count."""
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        with TreeSampler(proc.pid) as tree:
            code = proc.wait()
            wall = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"{side} failed ({code}); see {log}")
    return wall, tree.peak_rss / GIB, tree.peak_procs


def run_ours(paths: list[str], weights: Path, tag: str) -> Run:
    """``python -m trapline.detect`` on ``paths``."""
    work = OUT / "detect-runs" / tag
    work.mkdir(parents=True, exist_ok=True)
    # The detect_shard rule's input: the shard's accepted images.
    accepted = pd.DataFrame({"path": paths, "image_id": [image_id(p) for p in paths]})
    accepted["file_size"] = [(OUT / p).stat().st_size for p in paths]
    accepted["mtime_ns"] = [(OUT / p).stat().st_mtime_ns for p in paths]
    accepted.to_parquet(work / "accepted.parquet")
    raw = work / "shard.parquet"
    raw.unlink(missing_ok=True)  # the output is its own cache: start empty
    command = [
        sys.executable,
        "-m",
        "trapline.detect",
        "--images",
        str(work / "accepted.parquet"),
        "--images-root",
        str(OUT),
        "--weights",
        str(weights),
        "--out",
        str(raw),
        "--threads",
        "2",
        "--image-size",
        "1280",
    ]
    wall, rss, procs = measure("ours", command, work / "log.txt")
    shard = pd.read_parquet(raw)
    found = shard[shard["det_index"].notna()].assign(image_id=lambda f: f["path"])
    return Run("ours", len(paths), wall, rss, procs, found["path"].nunique(), found)


def run_megadetector(paths: list[str], weights: Path, cores: int, tag: str) -> Run:
    """MegaDetector's ``load_and_run_detector_batch`` on ``paths``."""
    work = OUT / "detect-runs" / tag
    work.mkdir(parents=True, exist_ok=True)
    listing = work / "images.json"
    listing.write_text(json.dumps([str((OUT / p).resolve()) for p in paths]))
    results = work / "results.json"
    command = [
        sys.executable,
        "-c",
        MD_USER_SCRIPT,
        str(weights),
        str(listing),
        str(cores),
        str(results),
    ]
    wall, rss, procs = measure(f"md{cores}", command, work / "log.txt")
    root = OUT.resolve()
    results = [
        r
        for r in json.loads(results.read_text())
        if not r.get("failure") and r.get("detections")
    ]
    boxes = raw_frame(
        [
            row
            for r in results
            for row in box_rows(
                str(Path(r["file"]).relative_to(root)), r["detections"], "megadetector"
            )
        ]
    )
    side = f"megadetector_n_cores_{cores}"
    return Run(side, len(paths), wall, rss, procs, len(results), boxes)


def agreement(ours: pd.DataFrame, theirs: pd.DataFrame) -> dict[str, object]:
    """How many of MegaDetector's boxes trapline returns too, per frame size.

    The 1920×1080 frames reach both models as the same pixels (no JPEG draft
    scale fits), so they compare the arithmetic; the 4000×3000 frames compare
    draft decoding (2000×1500, then resized) with MegaDetector's full decode.
    """
    result: dict[str, object] = {}
    for width, height in SIZES:
        folder = f"detect-season-{width}x{height}/"
        mine = ours[ours["image_id"].str.startswith(folder)]
        md = theirs[theirs["image_id"].str.startswith(folder)]
        matched = matched_boxes(mine, md)
        result[f"{width}x{height}"] = {
            "megadetector_boxes": len(md),
            "trapline_boxes": len(mine),
            "matched": matched,
            "share_matched": round(matched / max(1, len(md)), 4),
        }
    return result


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-size", type=int, default=6, help="images of each size")
    parser.add_argument("--repeat", type=int, default=2, help="full runs per side")
    parser.add_argument(
        "--pool",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run MegaDetector's n_cores=2 pool (slow)",
    )
    args = parser.parse_args()

    weights = model()
    paths = pick_images(args.per_size)
    cores = (1, 2) if args.pool else (1,)
    runs: dict[str, list[Run]] = {"ours": [], **{f"md{c}": [] for c in cores}}
    for i in range(args.repeat):
        runs["ours"].append(run_ours(paths, weights, f"ours-{i}"))
        for c in cores:
            runs[f"md{c}"].append(run_megadetector(paths, weights, c, f"md{c}-{i}"))

    n = len(paths)
    s_per_image = {k: mean([r.wall_s for r in v]) / n for k, v in runs.items()}
    rss = {k: mean([r.peak_rss_gib for r in v]) for k, v in runs.items()}
    result = {
        "images": n,
        "per_size": {f"{w}x{h}": args.per_size for w, h in SIZES},
        "image_size": 1280,
        "model": f"{weights.name} (YOLOv5 v6.0 P6 x6, random weights)",
        "runs": [r.as_dict() for v in runs.values() for r in v],
        "s_per_image": {k: round(v, 3) for k, v in s_per_image.items()},
        "peak_rss_gib": {k: round(v, 3) for k, v in rss.items()},
        **{
            f"throughput_ratio_vs_md_n_cores_{c}": round(
                s_per_image[f"md{c}"] / s_per_image["ours"], 2
            )
            for c in cores
        },
        **{
            f"memory_ratio_vs_md_n_cores_{c}": round(rss["ours"] / rss[f"md{c}"], 2)
            for c in cores
        },
        "box_agreement_vs_md_n_cores_1": agreement(
            runs["ours"][0].boxes, runs["md1"][0].boxes
        ),
        "all_images_boxed": all(
            r.images_with_boxes == r.images for v in runs.values() for r in v
        ),
        "goals": {"throughput_ratio": ">= 1.3", "memory_ratio": "<= 0.6"},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
