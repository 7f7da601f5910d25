"""Render-and-write jobs, runnable in the main process or a worker pool.

A job is plain data (path, frame spec, EXIF stamp) and writes exactly one file,
so jobs can be farmed out in any grouping.  Worker state (settings, output
folder) is set once per process by :func:`init_worker`; the per-process caches
of backgrounds, textures and noise then fill on demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from trapline.simulate.bad_files import truncate
from trapline.simulate.jpeg import ExifStamp, encode_jpeg
from trapline.simulate.render import Box, FrameSpec, render_crop, render_frame
from trapline.simulate.settings import SeasonSettings

CROP_QUALITY = 92


@dataclass(frozen=True)
class Job:
    """Write one rendered file at ``path`` (relative to the season folder)."""

    path: str
    spec: FrameSpec
    stamp: ExifStamp | None = None
    truncate: bool = False
    crop: bool = False
    """Catalogue reference: save only the animal's box, without EXIF."""


_STATE: dict[str, object] = {}


def init_worker(settings: SeasonSettings, out_dir: Path) -> None:
    """Remember what every job in this process needs."""
    _STATE["settings"] = settings
    _STATE["out_dir"] = Path(out_dir)


def run_job(job: Job) -> tuple[str, list[Box | None]]:
    """Render and write ``job``; return its path and the true boxes."""
    settings = _STATE["settings"]
    target = _STATE["out_dir"] / job.path
    if job.crop:
        image, boxes = render_crop(job.spec, settings), []
        data = encode_jpeg(image, CROP_QUALITY, None)
    else:
        image, boxes = render_frame(job.spec, settings)
        data = encode_jpeg(image, settings.jpeg_quality, job.stamp)
    target.write_bytes(truncate(data) if job.truncate else data)
    return job.path, boxes
