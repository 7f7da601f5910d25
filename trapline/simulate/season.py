"""Generate a whole season: plan, render, write files and truth.

This is the only module that touches the output folder as a whole.  It plans
everything serially (cheap and deterministic), then renders the frames --
in a process pool when asked -- and finally writes the truth tables from the
plan plus the boxes measured while rendering.
"""

from __future__ import annotations

import multiprocessing
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from tqdm import tqdm

from trapline.simulate.bad_files import payload, plan_bad_files
from trapline.simulate.catalogue import catalogue_jobs
from trapline.simulate.deployment import build_cameras
from trapline.simulate.events import sample_encounters
from trapline.simulate.plan import number_files, plan_encounters
from trapline.simulate.population import LYNX, build_individuals
from trapline.simulate.render import Box
from trapline.simulate.settings import SeasonSettings
from trapline.simulate.truth import write_truth
from trapline.simulate.writer import Job, init_worker, run_job

Progress = Callable[[Iterable, int], Iterable]
"""Wraps the stream of finished jobs (e.g. ``lambda it, n: tqdm(it, total=n)``)."""


@dataclass(frozen=True)
class SeasonSummary:
    """Counts describing a generated season."""

    out_dir: Path
    n_files: int
    """Everything under images/, bad files included."""
    n_images: int
    """Usable images (no expected rejection reason)."""
    n_bad_files: int
    n_lynx_encounters: int
    n_lynx_detections: int
    n_individuals: int
    n_individuals_detected: int
    n_catalogue_crops: int


def _fresh(out_dir: Path) -> None:
    """Remove earlier output so no stale file survives into the new truth."""
    for name in ("images", "truth", "catalogue"):
        shutil.rmtree(out_dir / name, ignore_errors=True)
    (out_dir / "stations.csv").unlink(missing_ok=True)


def _render(
    jobs: list[Job], settings: SeasonSettings, out_dir: Path, progress: Progress | None
) -> dict[str, list[Box | None]]:
    if settings.processes > 1:
        with multiprocessing.Pool(
            settings.processes, initializer=init_worker, initargs=(settings, out_dir)
        ) as pool:
            done = pool.imap(run_job, jobs, chunksize=4)
            return dict(progress(done, len(jobs)) if progress else done)
    init_worker(settings, out_dir)
    done = map(run_job, jobs)
    return dict(progress(done, len(jobs)) if progress else done)


def simulate_season(
    out_dir: Path, settings: SeasonSettings, progress: Progress | None = None
) -> SeasonSummary:
    """Write a simulated season under ``out_dir`` (replacing an earlier one)."""
    out_dir = Path(out_dir)
    _fresh(out_dir)
    cameras = build_cameras(settings)
    individuals = build_individuals(settings, cameras)
    encounters = sample_encounters(settings, cameras, individuals)
    shots = number_files(
        plan_encounters(settings, cameras, individuals, encounters)
        + plan_bad_files(settings, cameras)
    )
    for shot in shots:
        (out_dir / "images" / shot.path).parent.mkdir(parents=True, exist_ok=True)
    jobs = [
        Job(f"images/{s.path}", s.spec, s.stamp, truncate=s.kind == "truncated")
        for s in shots
        if s.spec is not None
    ]
    for shot in shots:
        if shot.spec is None:
            (out_dir / "images" / shot.path).write_bytes(
                payload(shot.kind, shot.extension)
            )
    crops = catalogue_jobs(settings, individuals)
    for job in crops:
        (out_dir / job.path).parent.mkdir(parents=True, exist_ok=True)
    rendered = _render(jobs + crops, settings, out_dir, progress)
    boxes = {path.removeprefix("images/"): b for path, b in rendered.items()}
    detections = write_truth(out_dir, settings, cameras, individuals, shots, boxes)
    lynx = detections[detections["species"] == LYNX] if len(detections) else detections
    return SeasonSummary(
        out_dir=out_dir,
        n_files=len(shots),
        n_images=sum(s.expected_reason is None for s in shots),
        n_bad_files=sum(s.expected_reason is not None for s in shots),
        n_lynx_encounters=sum(e.kind == "lynx" for e in encounters),
        n_lynx_detections=len(lynx),
        n_individuals=len(individuals),
        n_individuals_detected=int(lynx["individual_id"].nunique()) if len(lynx) else 0,
        n_catalogue_crops=len(crops),
    )


PRESETS: dict[str, Callable[[], SeasonSettings]] = {
    "demo": SeasonSettings,
    "tiny": SeasonSettings.tiny,
}
"""Named seasons the workflow's ``simulate.preset`` config key can ask for."""


def simulate_preset(
    out_dir: str | Path, preset: str, seed: int, processes: int = 1
) -> SeasonSummary:
    """Write a named preset season, showing progress (the workflow's entry point)."""
    settings = replace(PRESETS[preset](), seed=seed, processes=processes)
    return simulate_season(
        Path(out_dir),
        settings,
        progress=lambda it, n: tqdm(it, total=n, unit="img", desc="simulate"),
    )
