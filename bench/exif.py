"""Benchmark: inventory + EXIF stage against one exiftool process per file.

Both run in this one script on the same simulated season, so the ratio holds on a
noisy machine. The baseline (one ``exiftool`` process per image, as naive scripts
and several camera-trap tools do) runs on an evenly spaced sample of the images,
two at a time to use both cores; its cost per image does not depend on which
images are sampled.

    .venv/bin/python bench/exif.py --images 10000 --sample 400 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from trapline.inventory.exif import TAGS
from trapline.inventory.files import walk_season
from trapline.inventory.probe import probe_files
from trapline.inventory.settings import InventorySettings
from trapline.inventory.stations import read_stations
from trapline.inventory.verdict import build_inventory
from trapline.simulate import SeasonSettings, simulate_season


def season(out: Path, images: int, processes: int) -> Path:
    """A simulated season of about ``images`` small frames (generated once)."""
    if not (out / "truth" / "files.parquet").exists():
        settings = SeasonSettings(
            seed=11,
            width=640,
            height=360,
            empty_triggers=max(0, images // 3 - 150),
            processes=processes,
        )
        simulate_season(out, settings)
    return out


def per_file_baseline(root: Path, paths: list[str], workers: int) -> float:
    """Images/s with a fresh exiftool process for every image."""
    args = ["exiftool", "-j", "-G", "-n", "-fast", *[f"-{t}" for t in TAGS]]

    def one(path: str) -> None:
        subprocess.run([*args, str(root / path)], capture_output=True, check=False)

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, paths))
    return len(paths) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="inventory runs (median)")
    parser.add_argument("--out", type=Path, default=Path("bench/out/exif-season"))
    args = parser.parse_args()

    root = season(args.out, args.images, args.workers)
    tz = "Etc/GMT-1"
    deployments = read_stations(root / "stations.csv", tz)
    settings = InventorySettings(str(root / "images"), str(root / "stations.csv"), tz)
    files = walk_season(root / "images")
    rates = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        probes = probe_files(files, root / "images", args.workers)
        images, quarantine = build_inventory(probes, settings, deployments)
        rates.append(len(files) / (time.perf_counter() - start))
    ours = statistics.median(rates)

    jpegs = list(images["path"])
    step = max(1, len(jpegs) // args.sample)
    baseline = per_file_baseline(root / "images", jpegs[::step], args.workers)
    result = {
        "files": len(files),
        "usable_images": len(images),
        "quarantined": len(quarantine),
        "workers": args.workers,
        "inventory_images_per_s": round(ours, 1),
        "inventory_runs_images_per_s": [round(r, 1) for r in rates],
        "baseline_sample": len(jpegs[::step]),
        "baseline_images_per_s": round(baseline, 1),
        "ratio": round(ours / baseline, 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
