"""Benchmark: planning the workflow at scale (issue 7).

Seasons of empty JPEG-named files (``ST001..ST100/A/IMG_0000000.JPG``, the same
number per station) are planned by the real workflow, with MegaDetector and an
embedding model configured (dummy weight files: nothing runs, the jobs are only
planned) and a dummy catalogue, so ``detect_shard``, ``crop_shard`` and
``embed_shard`` jobs all exist. For each size, each step a fresh ``snakemake``
subprocess:

1. ``plan``: ``snakemake -n`` from scratch (no results): the parse-time walk,
   cutting the season into shards, writing every manifest, building the DAG;
2. ``touch``: ``snakemake --touch`` after creating every planned output as an
   empty file (``--touch`` skips outputs that do not exist: "Output files not
   touched because they don't exist"), so every output is newer than its inputs;
   ``--touch`` writes no job metadata, so the no-op below reads none;
3. ``noop``: ``snakemake -n`` again; it must answer "Nothing to be done";
4. ``rerun``: 1 % new files added at the end of every station's folder (a new
   card), ``snakemake -n``: which ``detect_shard``/``embed_shard`` jobs it plans,
   and how many images their shards hold (the share that passes through those
   jobs; their per-image caches then process only the new files).

The baseline is a one-job-per-image Snakefile written here (``glob_wildcards``
over the images, one ``detect_one`` job per image, as a naive workflow would be),
timed with ``snakemake -n`` up to ``--baseline-max`` images (at 1M images,
extrapolating from 100,000, it would plan for about 13 minutes in about 15 GB,
so it is not run). Both sides run from the repository root, so the workflow
profile ``profiles/default`` applies to both.

Time is the subprocess's wall time (start-up included); memory is the peak of the
summed RSS of its process tree sampled every 0.05 s, or the kernel's peak RSS of
the process if higher. The load average is recorded with every measurement (the
machine may be shared). The season trees live under ``--work``, by default
``/tmp/trapline-dag``, outside the checkout so that nothing walking the
repository meets a million files (reused when their file count matches; a
season of 1M empty files takes about 1 M inodes and 45 s to create); results are
merged into ``bench/out/dag.json``.

    .venv/bin/python bench/dag.py --sizes 10000 100000 1000000
    .venv/bin/python bench/dag.py --sizes 1000000 --max-images 400

(``--max-images`` sets config ``shards.max_images``: smaller shards, more jobs.)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil
import yaml
from process_tree import TreeSampler

from trapline.inventory.files import walk_season
from trapline.inventory.layout import FolderLayout
from trapline.inventory.shards import plan_shards, write_manifests

REPO = Path(__file__).resolve().parent.parent
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
OUT = REPO / "bench" / "out"
STATIONS = 100
DEFAULT_MAX_IMAGES = 5000  # config/schema.yaml's shards.max_images
NEW_FRACTION = 0.01
GIB = 2**30
SHARD_RULES = ("inventory_shard", "detect_shard", "crop_shard", "embed_shard")

# One job per image: what the workflow would be without shards.
BASELINE_SNAKEFILE = """\
IMAGES = {images!r}
PATHS = glob_wildcards(IMAGES + "/{{path}}.JPG").path


rule all:
    input:
        expand("out/{{path}}.json", path=PATHS),


rule detect_one:
    input:
        IMAGES + "/{{path}}.JPG",
    output:
        "out/{{path}}.json",
    shell:
        "touch {{output}}"
"""


@dataclass
class Measure:
    """One snakemake subprocess."""

    wall_s: float
    peak_rss_gib: float
    load_avg_1m: float
    returncode: int
    log: str

    def summary(self) -> dict[str, object]:
        out = asdict(self)
        out["wall_s"] = round(self.wall_s, 2)
        out["peak_rss_gib"] = round(self.peak_rss_gib, 3)
        out["load_avg_1m"] = round(self.load_avg_1m, 2)
        return out


def measure(command: list[str], log: Path, check: bool = True) -> Measure:
    """Run ``command`` from the repository root; wall time and peak tree RSS."""
    load = os.getloadavg()[0]
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        with TreeSampler(proc.pid) as tree:
            # wait4 rather than proc.wait(): it also hands back the kernel's peak RSS.
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
    peak = max(tree.peak_rss, usage.ru_maxrss * 1024)
    if check and proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}); see {log}")
    return Measure(wall, peak / GIB, load, proc.returncode, str(log))


# --- the season ----------------------------------------------------------------


def image_name(index: int) -> str:
    return f"IMG_{index:07d}.JPG"


def per_station(total: int) -> list[int]:
    """``total`` images spread over the stations (the first ones get the rest)."""
    return [total // STATIONS + (s < total % STATIONS) for s in range(STATIONS)]


def station_folder(images: Path, s: int) -> Path:
    return images / f"ST{s + 1:03d}" / "A"


def touch_new(path: Path) -> None:
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))


def ensure_tree(images: Path, total: int) -> float:
    """Make ``images`` hold exactly the season's files; seconds it took.

    Files that are there already are kept (same mtimes), extra ones removed (the
    new card of an interrupted run).
    """
    start = time.perf_counter()
    for s, count in enumerate(per_station(total)):
        folder = station_folder(images, s)
        folder.mkdir(parents=True, exist_ok=True)
        present = set(os.listdir(folder))
        wanted = {image_name(i) for i in range(count)}
        for name in present - wanted:
            (folder / name).unlink()
        for name in sorted(wanted - present):
            touch_new(folder / name)
    for folder in sorted(images.iterdir()):
        if folder.name not in {f"ST{s + 1:03d}" for s in range(STATIONS)}:
            shutil.rmtree(folder)
    return time.perf_counter() - start


def add_new_card(images: Path, total: int) -> int:
    """1 % more files, after the existing names of every station; how many."""
    new = per_station(round(total * NEW_FRACTION))
    for s, (count, extra) in enumerate(zip(per_station(total), new, strict=True)):
        folder = station_folder(images, s)
        for i in range(count, count + extra):
            touch_new(folder / image_name(i))
    return sum(new)


def write_inputs(bench: Path, images: Path, max_images: int | None) -> Path:
    """Stations table, dummy weights and catalogue, and the config; its path.

    ``max_images``: config ``shards.max_images``; None keeps the workflow's default.
    """
    rows = ["Station,Camera,utm_x,utm_y,Setup_date,Retrieval_date"]
    for s in range(STATIONS):
        x, y = 2600000 + 1000 * (s % 10), 1200000 + 1000 * (s // 10)
        rows.append(f"ST{s + 1:03d},A,{x},{y},2026-03-01,2026-05-31")
    stations = bench / "stations.csv"
    stations.write_text("\n".join(rows) + "\n")
    detector = bench / "dummy_md_v5a.0.0.pt"
    backbone = bench / "dummy_backbone.safetensors"
    for weights in (detector, backbone):
        weights.touch()
    catalogue = bench / "catalogue"
    (catalogue / "LYX001").mkdir(parents=True, exist_ok=True)
    config = {
        "images_root": str(images),
        "stations": str(stations),
        "results": str(bench / "results"),
        "timezone": "Etc/GMT-1",
        "target_species": ["Lynx lynx"],
        "detect": {"detector": "MDV5A", "weights": str(detector)},
        "embed": {
            "model": "vit_small_patch14_reg4_dinov2.lvd142m",
            "weights": str(backbone),
        },
        # Something must consume the crop embeddings, or embed_shard is not planned.
        "identify": {"catalogue": str(catalogue)},
    }
    if max_images is not None:
        config["shards"] = {"max_images": max_images}
    path = bench / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


# --- reading snakemake's output ------------------------------------------------

JOB_LINE = re.compile(r"^(?:local)?(?:rule|checkpoint) (\w+):$")
WILDCARDS_LINE = re.compile(r"^\s+wildcards: (.*)$")
OUTPUT_LINE = re.compile(r"^\s+output: (.*)$")
FLAG = re.compile(r" \(\w+\)$")  # "path (update)"


def job_stats(text: str) -> dict[str, int]:
    """The "Job stats" table of a dry run: jobs per rule, and ``total``."""
    stats: dict[str, int] = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "Job stats:":
            for row in lines[i + 3 :]:
                parts = row.split()
                if len(parts) != 2 or not parts[1].isdigit():
                    break
                stats[parts[0]] = int(parts[1])
            break
    return stats


def planned_jobs(text: str) -> list[tuple[str, str, list[str]]]:
    """Every job block of a dry run: (rule, wildcards, outputs)."""
    jobs: list[tuple[str, str, list[str]]] = []
    for line in text.splitlines():
        if m := JOB_LINE.match(line):
            jobs.append((m.group(1), "", []))
        elif jobs and (m := OUTPUT_LINE.match(line)):
            jobs[-1][2].extend(FLAG.sub("", p.strip()) for p in m.group(1).split(","))
        elif jobs and (m := WILDCARDS_LINE.match(line)):
            jobs[-1] = (jobs[-1][0], m.group(1), jobs[-1][2])
    return jobs


def shards_of(jobs: list[tuple[str, str, list[str]]], rule: str) -> set[str]:
    return {w.removeprefix("shard=") for r, w, _ in jobs if r == rule}


def manifest_images(results: Path, shards: set[str]) -> int:
    """Files listed in these shards' manifests."""
    total = 0
    for shard in shards:
        with open(results / "shards" / f"{shard}.tsv", "rb") as f:
            total += sum(1 for _ in f)
    return total


# --- the runs ------------------------------------------------------------------


def snakemake(bench: Path, config: Path, *options: str) -> list[str]:
    return [
        str(SNAKEMAKE),
        *options,
        "--cores",
        "2",
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(bench),
        "--configfile",
        str(config),
    ]


def parse_time_parts(images: Path, results: Path, max_images: int) -> dict[str, float]:
    """The parse-time plan's steps, timed in this process (a fresh results copy)."""
    out = {}
    start = time.perf_counter()
    files = walk_season(images)
    out["walk_s"] = time.perf_counter() - start
    start = time.perf_counter()
    plan = plan_shards(files, FolderLayout.parse("{station}/{camera}"), max_images)
    out["plan_shards_s"] = time.perf_counter() - start
    folder = results / "parse-parts"
    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    write_manifests(plan, folder)
    out["write_manifests_first_s"] = time.perf_counter() - start
    start = time.perf_counter()
    write_manifests(plan, folder)
    out["write_manifests_unchanged_s"] = time.perf_counter() - start
    shutil.rmtree(folder)
    return {k: round(v, 2) for k, v in out.items()}


def run_ours(total: int, work: Path, max_images: int | None) -> dict[str, object]:
    """The four steps on a season of ``total`` images."""
    bench = work / f"season-{total}"
    images = bench / "images"
    tree_s = ensure_tree(images, total)
    config = write_inputs(bench, images, max_images)
    results = bench / "results"
    logs = bench / "bench-logs"
    for stale in (results, bench / ".snakemake", bench / "logs", logs):
        shutil.rmtree(stale, ignore_errors=True)
    logs.mkdir()
    out: dict[str, object] = {
        "images": total,
        "max_images": max_images or DEFAULT_MAX_IMAGES,
        "tree_build_s": round(tree_s, 1),
    }
    out["parse_time_parts"] = parse_time_parts(images, bench, out["max_images"])

    plan = measure(snakemake(bench, config, "-n"), logs / "plan.txt")
    text = Path(plan.log).read_text()
    stats = job_stats(text)
    out["plan"] = {**plan.summary(), "jobs": stats.get("total"), "job_stats": stats}
    out["shards"] = len(list((results / "shards").glob("*.tsv")))

    # --touch touches outputs that exist; make every planned one (empty) first.
    # The dry run does not mark directory() outputs; in this workflow they are the
    # outputs without a suffix (capture/secr, capture/occupancy).
    for _, _, outputs in planned_jobs(text):
        for output in outputs:
            path = bench / output
            if not path.suffix:
                path.mkdir(parents=True, exist_ok=True)
            elif not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                touch_new(path)
    touch = measure(snakemake(bench, config, "--touch"), logs / "touch.txt")
    out["touch"] = touch.summary()

    noop = measure(snakemake(bench, config, "-n"), logs / "noop.txt")
    noop_text = Path(noop.log).read_text()
    out["noop"] = {
        **noop.summary(),
        "nothing_to_be_done": "Nothing to be done" in noop_text,
        "jobs": job_stats(noop_text).get("total", 0),
    }

    new = add_new_card(images, total)
    try:
        rerun = measure(snakemake(bench, config, "-n"), logs / "rerun.txt")
        rerun_text = Path(rerun.log).read_text()
        jobs = planned_jobs(rerun_text)
        all_images = total + new
        share = {}
        for rule in ("detect_shard", "embed_shard"):
            shards = shards_of(jobs, rule)
            in_shards = manifest_images(results, shards)
            share[rule] = {
                "jobs": len(shards),
                "images_in_shards": in_shards,
                "fraction_in_shards": round(in_shards / all_images, 4),
            }
        stats = job_stats(rerun_text)
        out["rerun"] = {
            **rerun.summary(),
            "new_images": new,
            "new_fraction": round(new / all_images, 4),
            "jobs": stats.get("total"),
            "job_stats": stats,
            "share": share,
        }
    finally:
        ensure_tree(images, total)  # take the new card out again
    return out


def run_baseline(total: int, work: Path) -> dict[str, object]:
    """``snakemake -n`` of the one-job-per-image Snakefile on the same season."""
    bench = work / f"season-{total}"
    folder = bench / "baseline"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    snakefile = folder / "Snakefile"
    snakefile.write_text(BASELINE_SNAKEFILE.format(images=str(bench / "images")))
    command = [
        str(SNAKEMAKE),
        "-n",
        "--cores",
        "2",
        "--snakefile",
        str(snakefile),
        "--directory",
        str(folder),
    ]
    plan = measure(command, folder / "plan.txt")
    stats = job_stats(Path(plan.log).read_text())
    return {**plan.summary(), "jobs": stats.get("total")}


# --- report --------------------------------------------------------------------


def table(results: dict[str, dict[str, object]]) -> str:
    head = (
        "| images | max_images | shards | jobs | plan s | plan GiB | no-op s "
        "| no-op GiB | rerun detect/embed jobs | images in rerun shards | new images "
        "| baseline jobs | baseline s | baseline GiB | plan time ours/baseline |"
    )
    rows = [head, "|" + "---|" * (head.count("|") - 1)]
    for key in sorted(results, key=lambda k: (results[k]["images"], k)):
        r = results[key]
        plan, noop, rerun = r["plan"], r["noop"], r["rerun"]
        share = rerun["share"]
        base = r.get("baseline")
        rows.append(
            "| "
            + " | ".join(
                [
                    f"{r['images']:,}",
                    f"{r.get('max_images', DEFAULT_MAX_IMAGES):,}",
                    f"{r['shards']:,}",
                    f"{plan['jobs']:,}",
                    f"{plan['wall_s']:.1f}",
                    f"{plan['peak_rss_gib']:.2f}",
                    f"{noop['wall_s']:.1f}"
                    + ("" if noop["nothing_to_be_done"] else " (NOT no-op)"),
                    f"{noop['peak_rss_gib']:.2f}",
                    f"{share['detect_shard']['jobs']}/{share['embed_shard']['jobs']}",
                    f"{share['detect_shard']['fraction_in_shards']:.1%}",
                    f"{rerun['new_fraction']:.1%}",
                    f"{base['jobs']:,}" if base else "—",
                    f"{base['wall_s']:.1f}" if base else "—",
                    f"{base['peak_rss_gib']:.2f}" if base else "—",
                    f"{plan['wall_s'] / base['wall_s']:.3f}" if base else "—",
                ]
            )
            + " |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000]
    )
    parser.add_argument(
        "--baseline-max",
        type=int,
        default=100_000,
        help="largest season the one-job-per-image baseline plans",
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(tempfile.gettempdir()) / "trapline-dag",
        help="folder for the season trees and their results (a fast local disk)",
    )
    parser.add_argument(
        "--max-images",
        type=int,
        help="config shards.max_images (default: the workflow's, 5000)",
    )
    parser.add_argument("--json", type=Path, default=OUT / "dag.json")
    args = parser.parse_args()

    results: dict[str, dict[str, object]] = {}
    if args.json.exists():
        results = json.loads(args.json.read_text())["sizes"]
    for total in args.sizes:
        entry = run_ours(total, args.work.resolve(), args.max_images)
        if total <= args.baseline_max:
            entry["baseline"] = run_baseline(total, args.work.resolve())
        entry["date"] = time.strftime("%Y-%m-%d")
        key = str(total) if args.max_images is None else f"{total}-max{args.max_images}"
        results[key] = entry
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {"machine": machine(), "sizes": results}, indent=2, sort_keys=True
            )
        )
        print(json.dumps(entry, indent=2), flush=True)
    print(table(results))


def machine() -> dict[str, object]:
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / GIB, 1),
        "python": sys.version.split()[0],
        "snakemake": subprocess.run(
            [str(SNAKEMAKE), "--version"], capture_output=True, text=True
        ).stdout.strip(),
    }


if __name__ == "__main__":
    main()
