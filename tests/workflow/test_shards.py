"""Shards and per-image caches through real Snakemake runs with the real detector.

The tiny season is cut into several shards per camera (``shards.max_images: 20``)
and detected by the MegaDetector stand-in through MegaDetector's own loader, so
what is asserted is what a user sees: which jobs a rerun plans, how many images
reach the detector, and that a run killed with SIGKILL resumes to the same result.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT, snakemake, snakemake_command
from trapline.detect.shard import resume_file

pytestmark = pytest.mark.slow


def environment(weights: Path) -> dict[str, str]:
    return os.environ | {"MDV5A": str(weights)}


def run(workdir: Path, weights: Path, *args: str) -> subprocess.CompletedProcess:
    config = workdir / "config.yaml"
    return snakemake(workdir, *args, config=config, env=environment(weights))


def prepare(workdir: Path) -> Path:
    config = yaml.safe_load((ROOT / "tests/config/config.yaml").read_text())
    config |= {
        "detect": {"detector": "MDV5A", "save_every": 1, "image_size": 640},
        "shards": {"max_images": 20},
    }
    config.pop("identify")  # detection, crops and reruns are what is tested here
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    return workdir


def planned(stdout: str, rule: str) -> list[str]:
    """Shards of the jobs of ``rule`` in a dry run's plan."""
    jobs = re.findall(
        rf"rule {rule}:\n(?:    .*\n)*?    wildcards: shard=(\S+)", stdout
    )
    return sorted(jobs)


def detected_now(workdir: Path) -> int:
    logs = (workdir / ".test/results/logs/detect_shard").glob("*.log")
    found = [re.search(r"(\d+) to detect now", p.read_text()) for p in logs]
    return sum(int(m.group(1)) for m in found if m)


def boxes(workdir: Path) -> pd.DataFrame:
    raw = pd.read_parquet(workdir / ".test/results/detect/raw.parquet")
    columns = ["image_id", "det_index", "category", "conf", "bbox_x", "bbox_y"]
    return raw[columns].sort_values(["image_id", "det_index"], ignore_index=True)


@pytest.fixture(scope="module")
def season_run(md_standin, tmp_path_factory) -> Path:
    workdir = prepare(tmp_path_factory.mktemp("shards") / "run")
    done = run(workdir, md_standin)
    assert done.returncode == 0, done.stderr[-4000:]
    return workdir


def test_each_camera_is_cut_into_shards_and_all_are_detected(season_run):
    manifests = list((season_run / ".test/results/shards").glob("*.tsv"))
    cameras = {m.name.split(".")[0] + "." + m.name.split(".")[1] for m in manifests}
    assert len(manifests) > len(cameras), "max_images 20 should split a camera"
    images = pd.read_parquet(season_run / ".test/results/images.parquet")
    assert detected_now(season_run) >= len(images)


def test_noop_rerun_plans_no_job(season_run, md_standin):
    done = run(season_run, md_standin, "-n")
    assert done.returncode == 0, done.stderr
    assert "Nothing to be done" in done.stdout + done.stderr


def test_new_images_rerun_only_their_shard_and_only_they_are_detected(
    season_run, md_standin, tmp_path
):
    workdir = tmp_path / "run"
    shutil.copytree(season_run, workdir, symlinks=True)
    for log in (workdir / ".test/results/logs/detect_shard").glob("*.log"):
        log.unlink()
    images = pd.read_parquet(season_run / ".test/results/images.parquet")
    usable = sorted(images.loc[images["path"].str.startswith("ST02/A/"), "path"])
    root = workdir / ".test/season/images"
    for n in range(3):  # three new frames: new bytes (the same bytes are a copy)
        new = root / f"ST02/A/IMG_9{n:04d}.jpg"
        new.write_bytes((root / usable[0]).read_bytes() + b"\0" * (n + 1))
    plan = run(workdir, md_standin, "-n")
    assert plan.returncode == 0, plan.stderr
    shards = planned(plan.stdout, "detect_shard")
    assert shards and all(s.startswith("ST02.A.") for s in shards), shards
    assert planned(plan.stdout, "inventory_shard") == shards
    done = run(workdir, md_standin)
    assert done.returncode == 0, done.stderr[-4000:]
    assert detected_now(workdir) == 3
    before = pd.read_parquet(season_run / ".test/results/images.parquet")
    after = pd.read_parquet(workdir / ".test/results/images.parquet")
    assert len(after) == len(before) + 3


def test_removed_images_leave_every_output(season_run, md_standin, tmp_path):
    workdir = tmp_path / "run"
    shutil.copytree(season_run, workdir, symlinks=True)
    results = workdir / ".test/results"
    raw = pd.read_parquet(results / "detect/raw.parquet")
    images = pd.read_parquet(results / "images.parquet")
    gone = images[images["image_id"].isin(raw["image_id"])].iloc[0]
    (workdir / ".test/season/images" / gone["path"]).unlink()
    done = run(workdir, md_standin)
    assert done.returncode == 0, done.stderr[-4000:]
    for table in ("images", "quarantine"):
        frame = pd.read_parquet(results / f"{table}.parquet")
        assert gone["path"] not in set(frame["path"]), table
    for table in ("detect/raw", "detections", "crops"):
        frame = pd.read_parquet(results / f"{table}.parquet")
        assert gone["image_id"] not in set(frame["image_id"]), table
    counts = pd.read_parquet(results / "species_counts.parquet")
    assert gone["image_id"] not in set(counts["id"])


def detector_processes(shard: str) -> list[int]:
    """Pids of ``python -m trapline.detect`` processes working on ``shard``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        words = [w.decode(errors="replace") for w in command]
        if "trapline.detect" in words and any(shard in w for w in words):
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("kill", ["snakemake", "detector"])
def test_killed_detection_resumes_to_the_same_result(
    kill, season_run, md_standin, tmp_path
):
    """SIGKILL to the whole Snakemake tree (a power cut), or to the detector
    process alone (the OOM killer, a Slurm time limit: Snakemake then deletes the
    failed job's output); either way the rerun detects only the remainder."""
    workdir = tmp_path / "run"
    shutil.copytree(season_run, workdir, symlinks=True)
    shards = workdir / ".test/results/detect/shards"
    sizes = {
        p.stem: pd.read_parquet(p)["path"].nunique() for p in shards.glob("*.parquet")
    }
    largest = max(sizes, key=sizes.get)
    target = shards / f"{largest}.parquet"
    target.unlink()  # no cache: every image of the shard goes to the detector
    resume = resume_file(target)
    log = workdir / f".test/results/logs/detect_shard/{largest}.log"
    log.unlink()
    process = subprocess.Popen(
        snakemake_command(
            workdir,
            "--forcerun",
            str(target.relative_to(workdir)),
            config=workdir / "config.yaml",
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=environment(md_standin),
        start_new_session=True,
    )
    deadline, killed = time.monotonic() + 600, False
    while time.monotonic() < deadline and process.poll() is None:
        text = log.read_text() if log.exists() else ""
        if resume.exists() and not re.search(r"detected \d+ images", text):
            if kill == "snakemake":
                os.killpg(process.pid, signal.SIGKILL)
            else:
                for pid in detector_processes(largest):
                    os.kill(pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.01)
    process.wait()
    assert killed, "the detect job finished before it could be killed"
    assert not target.exists() or kill == "snakemake"
    partial = pd.read_parquet(resume)["path"].nunique()
    assert 0 < partial < sizes[largest]
    assert run(workdir, md_standin, "--unlock").returncode == 0
    # Run the shard's job again (the season's other tables are from the complete
    # run before, so Snakemake would not miss this intermediate file by itself).
    done = run(workdir, md_standin, "--forcerun", str(target.relative_to(workdir)))
    assert done.returncode == 0, done.stderr[-4000:]
    text = log.read_text()
    assert f"resumed {partial} images" in text, text
    assert f"{sizes[largest] - partial} to detect now" in text, text
    assert not resume.exists()
    pd.testing.assert_frame_equal(boxes(workdir), boxes(season_run))
