"""Benchmark: the identify rule on simulated seasons of growing size.

For each size, a simulated season (640×360 frames) is rendered once and kept
under ``--out`` (``<out>/<size>/season``; rendering is skipped when the season
of the same settings is there). The real workflow then runs on it with
Snakemake: detections imported from the season's true MegaDetector file
(``detect.detector: precomputed``), species imported, the simulated catalogue as
``identify.catalogue``, no embedding model (local features alone, as the demo
runs). Every rule before ``identify`` runs first (``--omit-from identify``, kept
between runs); then the identify rule alone, from a clean ``identify/`` folder
(no feature, background or pair cache) with ``--forcerun identify``,
``--repeat`` times (the median is reported). Its time
and peak memory are Snakemake's own benchmark of the job
(``<results>/benchmarks/identify.tsv``: ``s``, ``max_rss``; the job's Python
start-up and imports included). Pairs verified are parsed from
``<results>/logs/identify.log``. Accuracy (top-1, BAKS, BAUS, ARI) comes from
``trapline.identify.metrics.metrics_stage`` called here with the season's truth
tables (the workflow's metrics rule exists only with a ``simulate:`` config
section, which would also make the pre-rendered season a rule output).

Sizes run smallest first. A size whose identify runs past ``--max-minutes`` is
stopped and recorded as not finished, and the larger sizes are skipped. The
log-log slope of identify time against target crops is reported between the two
largest finished sizes and as a least-squares fit over all finished sizes.

``--embed-standin`` adds a second mode: a ViT-S/14 DINOv2 with random weights
(``trapline.testing.standins.vit_standin``, built at 56 px) as ``embed.model``
/ ``embed.weights`` with ``embed.image_size: 56``, so that catalogue candidates
come from the faiss top-k and unmatched tracks' neighbours from their mean
embeddings. Random weights rank candidates by nothing an animal owns, so this
mode measures cost (pairs, time, memory), not the accuracy a trained model
would reach.

Every run is appended to ``<out>/results.json``; the run's JSON and a markdown
table are printed.

    .venv/bin/python bench/identify_season.py --sizes s m --repeat 3
    .venv/bin/python bench/identify_season.py --sizes s m l xl --max-minutes 60
    .venv/bin/python bench/identify_season.py --sizes xl --render-only
    .venv/bin/python bench/identify_season.py --sizes 4:4:6 --embed-standin

A size is a preset name (``--list-sizes``) or ``STATIONS:INDIVIDUALS:DAYS``.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import hashlib
import json
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import yaml
from process_tree import TreeSampler
from tqdm import tqdm

from trapline.simulate import SeasonSettings, simulate_season

REPO = Path(__file__).resolve().parent.parent
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
OUT = REPO / "bench" / "out" / "identify-season"
GIB = 2**30
TARGET = "Lynx lynx"
STANDIN_MODEL = "vit_small_patch14_reg4_dinov2.lvd142m"
STANDIN_SIZE = 56

# stations, individuals, days. At seed 11: 429 / 978 / 4,989 / 22,569 lynx boxes
# (target crops) and 40 / 56 / 120 / 288 catalogue references (60 % of the
# individuals, 2 references per flank); 565 / ~1,090 / ~4,870 / ~21,230 files.
PRESETS: dict[str, tuple[int, int, int]] = {
    "s": (9, 16, 30),
    "m": (16, 24, 40),
    "l": (36, 50, 60),
    "xl": (64, 120, 100),
}
FRAME = {"width": 640, "height": 360}


# --- sizes and seasons ---------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Size:
    name: str
    stations: int
    individuals: int
    days: int

    @classmethod
    def parse(cls, text: str) -> Size:
        if text in PRESETS:
            return cls(text, *PRESETS[text])
        parts = text.split(":")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise argparse.ArgumentTypeError(
                f"{text!r}: a preset ({', '.join(PRESETS)}) "
                "or STATIONS:INDIVIDUALS:DAYS"
            )
        s, i, d = map(int, parts)
        return cls(f"st{s}-ind{i}-d{d}", s, i, d)

    @property
    def weight(self) -> int:
        """Grows with the expected number of lynx boxes (used to order sizes)."""
        return self.stations * self.individuals * self.days

    def settings(self, seed: int, processes: int) -> SeasonSettings:
        return SeasonSettings(
            seed=seed,
            n_stations=self.stations,
            n_individuals=self.individuals,
            days=self.days,
            processes=processes,
            **FRAME,
        )


def _season_record(settings: SeasonSettings) -> dict:
    """What identifies a rendered season (the process count does not change it)."""
    record = settings.to_dict()
    record.pop("processes")
    return json.loads(json.dumps(record))


def ensure_season(folder: Path, settings: SeasonSettings) -> dict:
    """Render the season into ``folder/season`` unless the same one is there.

    Returns the render record (``folder/render.json``): settings, summary and the
    seconds rendering took when it was done.
    """
    marker = folder / "render.json"
    season = folder / "season"
    wanted = _season_record(settings)
    if marker.is_file() and (season / "truth" / "settings.json").is_file():
        record = json.loads(marker.read_text())
        if record["settings"] == wanted:
            return record | {"rendered_now": False}
    for stale in folder.glob("results-*"):  # results of another season
        shutil.rmtree(stale)
    marker.unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    start = time.perf_counter()
    summary = simulate_season(
        season,
        settings,
        progress=lambda it, n: tqdm(
            it, total=n, unit="img", desc=f"render {folder.name}", mininterval=5
        ),
    )
    seconds = time.perf_counter() - start
    images = summary.n_files + summary.n_catalogue_crops
    record = {
        "settings": wanted,
        "processes": settings.processes,
        "summary": {
            k: v for k, v in dataclasses.asdict(summary).items() if k != "out_dir"
        },
        "files_written": images,
        "render_s": round(seconds, 1),
        "render_s_per_1000": round(1000 * seconds / images, 1),
        "load_avg_1m_before": round(load, 2),
        "load_avg_1m_after": round(os.getloadavg()[0], 2),
        "date": dt.date.today().isoformat(),
    }
    marker.write_text(json.dumps(record, indent=2))
    return record | {"rendered_now": True}


# --- the workflow --------------------------------------------------------------


def write_config(folder: Path, mode: str, standin: Path | None) -> tuple[Path, Path]:
    """The run's config (absolute paths) and its results folder."""
    season = (folder / "season").resolve()
    results = (folder / f"results-{mode}").resolve()
    embed = (
        {"model": STANDIN_MODEL, "weights": str(standin), "image_size": STANDIN_SIZE}
        if mode == "embed"
        else {"model": None}
    )
    config = {
        "images_root": str(season / "images"),
        "stations": str(season / "stations.csv"),
        "results": str(results),
        "timezone": "Etc/GMT-1",
        "layout": "{station}/{camera}",
        "target_species": [TARGET],
        "detect": {
            "detector": "precomputed",
            "precomputed": str(season / "truth" / "megadetector.json"),
        },
        "embed": embed,
        "identify": {"catalogue": str(season / "catalogue")},
    }
    path = folder / f"config-{mode}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path, results


def snakemake(folder: Path, config: Path, cores: int, *args: str) -> list[str]:
    return [
        str(SNAKEMAKE),
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(folder.resolve()),
        "--configfile",
        str(config.resolve()),
        "--cores",
        str(cores),
        *args,
    ]


@dataclasses.dataclass
class Run:
    returncode: int | None  # None: stopped at the time limit
    wall_s: float
    tree_peak_gib: float
    load_before: float
    load_after: float


def run(command: list[str], log: Path, limit_s: float | None = None) -> Run:
    """Run ``command`` from the repository root in its own process group.

    Past ``limit_s`` the group (Snakemake and its job) gets SIGTERM, then SIGKILL.
    """
    load = os.getloadavg()[0]
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(
            command,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        with TreeSampler(proc.pid, interval=0.2) as tree:
            try:
                proc.wait(timeout=limit_s)
                code: int | None = proc.returncode
            except subprocess.TimeoutExpired:
                code = None
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
    wall = time.perf_counter() - start
    return Run(code, wall, tree.peak_rss / GIB, load, os.getloadavg()[0])


def clean_identify(results: Path) -> None:
    """Remove every output, cache and log of the identify rule (a cold run)."""
    for name in ("identify", "review"):
        shutil.rmtree(results / name, ignore_errors=True)
    for name in (
        "identities.parquet",
        "metrics.json",
        "benchmarks/identify.tsv",
        "logs/identify.log",
    ):
        (results / name).unlink(missing_ok=True)


def benchmark_row(path: Path) -> dict[str, float]:
    """Snakemake's benchmark of the job: seconds and peak RSS (MiB)."""
    with path.open() as f:
        row = next(csv.DictReader(f, delimiter="\t"))
    return {k: float(row[k]) for k in ("s", "max_rss", "cpu_time", "mean_load")}


PAIRS = re.compile(
    r"(?P<kind>crop|catalogue) pairs verified now: (?P<now>\d+), "
    r"from cache: (?P<cached>\d+)"
    r"|(?P<rep_now>\d+) representative pairs verified now, "
    r"(?P<rep_cached>\d+) from cache"
)
SUMMARY = re.compile(
    r"(\d+) crops: (\d+) individuals \((\d+) new\)(?:, (\d+) for review)?"
)


def parse_log(path: Path) -> dict:
    """What the identify log says about the work done (None where it is silent).

    Pairs verified are counted by kind: crop × reference (matching), reference ×
    reference (calibration) and track representatives (new individuals).
    """
    text = path.read_text(errors="replace") if path.is_file() else ""
    found = {"crop": 0, "catalogue": 0, "representative": 0}
    cached = 0
    seen = False
    for m in PAIRS.finditer(text):
        seen = True
        if m["kind"]:
            found[m["kind"]] += int(m["now"])
            cached += int(m["cached"])
        else:
            found["representative"] += int(m["rep_now"])
            cached += int(m["rep_cached"])
    summary = SUMMARY.findall(text)
    out = {
        "pairs_verified": sum(found.values()) if seen else None,
        "pairs_from_cache": cached if seen else None,
        **{f"{k}_pairs": (v if seen else None) for k, v in found.items()},
        "individuals_found": None,
        "new_individuals": None,
        "for_review": None,
    }
    if summary:
        _, ind, new, review = (int(v) if v else None for v in summary[-1])
        out |= {
            "individuals_found": ind,
            "new_individuals": new,
            "for_review": review,
        }
    return out


def accuracy(season: Path, results: Path) -> dict:
    """top-1, BAKS, BAUS, ARI: ``metrics_stage`` with the season's truth."""
    start = time.perf_counter()
    try:
        from trapline.identify.metrics import metrics_stage

        out = results / "metrics.json"
        metrics_stage(
            results / "identities.parquet",
            results / "identify" / "candidates.parquet",
            results / "crops.parquet",
            results / "images.parquet",
            results / "detections.parquet",
            season / "truth" / "detections.parquet",
            season / "truth" / "individuals.parquet",
            json.loads((season / "truth" / "settings.json").read_text()),
            [TARGET],
            out,
        )
        m = json.loads(out.read_text())
    except Exception as err:  # the benchmark reports; it does not judge the code
        return {"metrics_error": f"{type(err).__name__}: {err}"}
    keys = ("top1", "top5", "baks", "baus", "ari")
    scores = {k: _number(m.get(k)) for k in keys}
    scores |= {
        "pairwise_precision": _number(m.get("pairwise_precision")),
        "pairwise_recall": _number(m.get("pairwise_recall")),
        "n_crops_with_truth": m.get("n_crops_with_truth"),
        "metrics_s": round(time.perf_counter() - start, 1),
    }
    return scores


def _number(value: object) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 4)


def season_counts(season: Path, results: Path) -> dict:
    """Target crops, catalogue references, images of the season's run."""
    crops = pd.read_parquet(results / "crops.parquet", columns=["species"])
    images = pd.read_parquet(results / "images.parquet", columns=["image_id"])
    catalogue = season / "catalogue"
    refs = sum(
        1
        for p in catalogue.rglob("*")
        if p.is_file() and p.suffix.lower() in {".jpg", ".jpeg", ".png"}
    )
    return {
        "images": len(images),
        "target_crops": int((crops["species"] == TARGET).sum()),
        "references": refs,
    }


def measure_size(
    size: Size, folder: Path, mode: str, args: argparse.Namespace, standin: Path | None
) -> dict:
    """Prepare (rules before identify), then time the identify rule ``--repeat``
    times, each from a clean ``identify/`` folder; the median time is reported."""
    config, results = write_config(folder, mode, standin)
    logs = folder / "logs"
    logs.mkdir(exist_ok=True)
    prep = run(
        snakemake(folder, config, args.cores, "--omit-from", "identify"),
        logs / f"prep-{mode}.log",
    )
    record: dict = {"prep_s": round(prep.wall_s, 1)}
    if prep.returncode != 0:
        return record | {"status": f"prep failed, see {logs / f'prep-{mode}.log'}"}
    record |= season_counts(folder / "season", results)
    limit = args.max_minutes * 60 if args.max_minutes else None
    command = snakemake(
        folder, config, args.cores, "identify", "--forcerun", "identify"
    )
    log = results / "logs" / "identify.log"
    runs = []
    for _ in range(args.repeat):
        clean_identify(results)
        ident = run(command, logs / f"identify-{mode}.log", limit)
        measured = {
            "load_avg_1m_before": round(ident.load_before, 2),
            "load_avg_1m_after": round(ident.load_after, 2),
            "snakemake_wall_s": round(ident.wall_s, 1),
            "snakemake_tree_peak_gib": round(ident.tree_peak_gib, 3),
        }
        if ident.returncode is None:
            return record | measured | parse_log(log) | {"status": "not finished"}
        if ident.returncode != 0:
            failed = f"failed, see {logs / f'identify-{mode}.log'}"
            return record | measured | {"status": failed}
        bench = benchmark_row(results / "benchmarks" / "identify.tsv")
        runs.append(
            measured
            | {
                "identify_s": round(bench["s"], 1),
                "peak_gib": round(bench["max_rss"] / 1024, 3),
                "cpu_s": round(bench["cpu_time"], 1),
            }
        )
    median = sorted(runs, key=lambda r: r["identify_s"])[(len(runs) - 1) // 2]
    record |= median | {
        "peak_gib": max(r["peak_gib"] for r in runs),
        "s_per_crop": round(median["identify_s"] / max(record["target_crops"], 1), 4),
    }
    if len(runs) > 1:
        record["runs"] = runs
    calibration = results / "identify" / "calibration.json"
    if calibration.is_file():
        report = json.loads(calibration.read_text())
        record["tracks"] = report.get("n_tracks")
    record |= parse_log(log)  # the last run's; every run does the same work
    record |= accuracy(folder / "season", results)
    return record | {"status": "ok"}


# --- the report ----------------------------------------------------------------


def slopes(rows: list[dict], key: str = "identify_s") -> dict:
    """log-log slope of ``key`` (identify wall or CPU seconds) against target
    crops: between the two largest finished sizes, fitted over all of them, and a
    lower bound to the first unfinished size (its time limit as its time)."""
    done = sorted(
        (r["target_crops"], r[key])
        for r in rows
        if r.get("status") == "ok" and r.get("target_crops") and r.get(key)
    )
    out: dict = {"two_largest": None, "overall": None, "sizes_fitted": len(done)}
    if len(done) >= 2:
        (n1, t1), (n2, t2) = done[-2:]
        out["two_largest"] = round(math.log(t2 / t1) / math.log(n2 / n1), 2)
        x, y = np.log([n for n, _ in done]), np.log([t for _, t in done])
        out["overall"] = round(float(np.polyfit(x, y, 1)[0]), 2)
    stopped = [r for r in rows if r.get("status") == "not finished"]
    if key == "identify_s" and done and stopped and stopped[0].get("target_crops"):
        n1, t1 = done[-1]
        n2, t2 = stopped[0]["target_crops"], stopped[0]["snakemake_wall_s"]
        if n2 > n1:
            out["at_least_to_unfinished"] = round(
                math.log(t2 / t1) / math.log(n2 / n1), 2
            )
    return out


def _cell(value: object, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown(rows: list[dict]) -> str:
    head = (
        "| size | stations × individuals × days | mode | images | target crops "
        "| references | identify s | CPU s | peak GiB | pairs verified | top-1 "
        "| BAUS | ARI | status |"
    )
    lines = [head, "|" + "---|" * 14]
    for r in rows:
        time_cell = _cell(r.get("identify_s"), 1)
        if r.get("status") == "not finished":
            time_cell = f"> {r['snakemake_wall_s']:,.0f}"
        lines.append(
            "| "
            + " | ".join(
                [
                    r["size"],
                    f"{r['stations']} × {r['individuals']} × {r['days']}",
                    r["mode"],
                    _cell(r.get("images")),
                    _cell(r.get("target_crops")),
                    _cell(r.get("references")),
                    time_cell,
                    _cell(r.get("cpu_s"), 1),
                    _cell(r.get("peak_gib"), 2),
                    _cell(r.get("pairs_verified")),
                    _cell(r.get("top1")),
                    _cell(r.get("baus")),
                    _cell(r.get("ari")),
                    r.get("status", "—"),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def code_fingerprint() -> dict:
    """The commit and a hash of the identify sources measured (they may be
    uncommitted)."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "trapline" / "identify").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=REPO,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {"head": head or None, "identify_sources_sha256": digest.hexdigest()[:12]}


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(psutil.virtual_memory().total / GIB, 1),
        "python": platform.python_version(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=Size.parse, default=["s", "m"])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=30.0,
        help="stop an identify run after this long and skip larger sizes (0: none)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="identify runs per size (median)"
    )
    parser.add_argument("--embed-standin", action="store_true")
    parser.add_argument(
        "--no-local", action="store_true", help="only the --embed-standin mode"
    )
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--processes", type=int, default=2, help="for rendering")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--render-only", action="store_true")
    parser.add_argument(
        "--label", help="recorded with the run, e.g. the commit of an exported tree"
    )
    parser.add_argument("--list-sizes", action="store_true")
    args = parser.parse_args()
    if args.list_sizes:
        for name, (s, i, d) in PRESETS.items():
            print(f"{name}: {s} stations, {i} individuals, {d} days")
        return
    sizes = sorted(
        (s if isinstance(s, Size) else Size.parse(s) for s in args.sizes),
        key=lambda s: s.weight,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    modes = ([] if args.no_local else ["local"]) + (
        ["embed"] if args.embed_standin else []
    )
    standin = None
    if "embed" in modes and not args.render_only:
        from trapline.testing.standins import vit_standin

        standin = (args.out / f"vit_small_standin_{STANDIN_SIZE}.safetensors").resolve()
        if not standin.is_file():
            vit_standin(standin, STANDIN_MODEL, STANDIN_SIZE)

    started = dt.datetime.now().isoformat(timespec="seconds")
    code = code_fingerprint()
    rows, renders, stopped = [], {}, set()
    for size in sizes:
        folder = args.out / size.name
        base = {
            "size": size.name,
            "stations": size.stations,
            "individuals": size.individuals,
            "days": size.days,
        }
        if set(modes) <= stopped and not args.render_only:
            rows += [base | {"mode": m, "status": "not run"} for m in modes]
            continue
        render = ensure_season(folder, size.settings(args.seed, args.processes))
        renders[size.name] = render
        print(
            f"{size.name}: season {'rendered' if render['rendered_now'] else 'reused'}"
            f" ({render['files_written']} files, {render['render_s']} s when rendered)",
            file=sys.stderr,
        )
        if args.render_only:
            continue
        for mode in modes:
            if mode in stopped:
                rows.append(base | {"mode": mode, "status": "not run"})
                continue
            measured = measure_size(size, folder, mode, args, standin)
            row = base | {"mode": mode} | measured
            sources = code_fingerprint()["identify_sources_sha256"]
            if sources != code["identify_sources_sha256"]:
                # Someone edited trapline/identify while it ran: a mixed figure.
                row["identify_sources_changed_to"] = sources
                print(f"warning: identify sources now {sources}", file=sys.stderr)
            print(json.dumps(row), file=sys.stderr)
            rows.append(row)
            if row["status"] != "ok":
                stopped.add(mode)
    report = {
        "benchmark": "identify_season",
        "started": started,
        "machine": machine(),
        "code": code | {"label": args.label},
        "args": {
            "sizes": [s.name for s in sizes],
            "max_minutes": args.max_minutes,
            "repeat": args.repeat,
            "cores": args.cores,
            "seed": args.seed,
            "modes": modes,
        },
        "renders": {
            k: {x: v[x] for x in ("files_written", "render_s", "render_s_per_1000")}
            | {"lynx_boxes": v["summary"]["n_lynx_detections"]}
            for k, v in renders.items()
        },
        "sizes": rows,
        "slope": {
            f"{m} {k}": slopes([r for r in rows if r["mode"] == m], k)
            for m in modes
            for k in ("identify_s", "cpu_s")
        },
    }
    if not args.render_only:
        history = args.out / "results.json"
        runs = json.loads(history.read_text()) if history.is_file() else []
        history.write_text(json.dumps([*runs, report], indent=2))
    print(json.dumps(report, indent=2))
    if rows:
        print()
        print(markdown(rows))
        for name, slope in report["slope"].items():
            print(f"\n{name}: log-log slope against target crops: {slope}")


if __name__ == "__main__":
    main()
