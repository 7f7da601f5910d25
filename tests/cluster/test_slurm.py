"""`snakemake --profile slurm` against a real Slurm (one node, a fake GPU).

The tiny simulated season runs with MegaDetector (stand-in weights), so the GPU
rule `detect_shard` really goes through Slurm: the demo imports its boxes and
runs no GPU rule at all, and takes minutes where the tiny season takes seconds of
compute. The tiny season has several shards, so the per-shard rules go as job
arrays, as they do on a real cluster. Three runs go through the cluster at the
same time (the jobs mostly wait on Snakemake's status checks): the season with
the detector, the season with imported boxes (so identification has crops to
work on) and a run whose detector weights are broken; the same two seasons also
run locally.

Test-only settings stay on the command line, never in profiles/slurm: the status
command (no slurmdbd here, so no sacct), a short first status check, the test
cluster's partitions and GPU type (through the profile's environment variables)
and the detector's threads (those of the local run, on this 2-core machine).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import slurm_testcluster
import yaml
from test_profiles import gpu_rules

from conftest import ROOT, SNAKEMAKE

TIMEOUT_S = 900
# The simulator writes each run's season afresh: only file times differ
# (file_mtime, source_mtime_ns, …).
RUN_DEPENDENT = re.compile(r"mtime")

pytestmark = pytest.mark.slow


@dataclass
class Run:
    workdir: Path
    returncode: int
    output: str
    wall_s: float

    @property
    def slurm_run_id(self) -> str:
        """The plugin's run ID: the Slurm job name of every job it submits."""
        found = re.search(r"SLURM run ID: (\S+)", self.output)
        assert found, self.output[-3000:]
        return found.group(1)

    def failure(self) -> str:
        return f"exit {self.returncode}:\n{self.output[-6000:]}"


def environment(**extra: str) -> dict[str, str]:
    drop = ("MDV5A", "SLURM_CONF")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env = {k: v for k, v in env.items() if not k.startswith("TRAPLINE_SLURM_")}
    return env | extra


def slurm_command(workdir: Path, config: Path) -> list[str]:
    return [
        str(SNAKEMAKE),
        "--profile",
        "slurm",  # the literal form: ./slurm, from the project folder
        "--directory",
        str(workdir),
        "--configfile",
        str(config),
        # No slurmdbd: squeue, not sacct (the cluster's MinJobAge is 3600 s).
        "--slurm-status-command",
        "squeue",
        "--slurm-init-seconds-before-status-checks",
        "2",
        "--set-threads",
        "detect_shard=2",
    ]


def local_command(workdir: Path, config: Path) -> list[str]:
    return [str(SNAKEMAKE), "--cores", "2", "--directory", str(workdir)] + [
        "--configfile",
        str(config),
    ]


SLURM_ENV = {
    "TRAPLINE_SLURM_PARTITION": slurm_testcluster.PARTITION,
    "TRAPLINE_SLURM_GPU_PARTITION": slurm_testcluster.GPU_PARTITION,
    "TRAPLINE_SLURM_GPU_MODEL": slurm_testcluster.GPU_TYPE,
}


class Launched:
    """A Snakemake run in the background; its end time is noted when it ends."""

    def __init__(self, command: list[str], workdir: Path, env: dict[str, str]):
        self.workdir = workdir
        self.log = (workdir / "snakemake.out").open("w")
        self.started = time.monotonic()
        self.ended = self.started
        self.proc = subprocess.Popen(
            command, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, env=env
        )
        self.waiter = threading.Thread(target=self._wait, daemon=True)
        self.waiter.start()

    def _wait(self) -> None:
        self.proc.wait()
        self.ended = time.monotonic()

    def finish(self) -> Run:
        self.waiter.join(max(1, TIMEOUT_S - (time.monotonic() - self.started)))
        if self.waiter.is_alive():
            # SIGINT: Snakemake cancels its Slurm jobs and exits (after SIGTERM
            # it waits for its running jobs, forever if one hangs).
            self.proc.send_signal(signal.SIGINT)
            self.waiter.join(60)
            if self.waiter.is_alive():
                self.proc.kill()
                self.waiter.join()
        self.log.close()
        output = (self.workdir / "snakemake.out").read_text()
        wall = self.ended - self.started
        return Run(self.workdir, self.proc.returncode, output, wall)


def comparable(table: pd.DataFrame, workdir: Path) -> pd.DataFrame:
    """A table without run-dependent columns, paths made relative to the run's
    folder (catalogue references, for one, are absolute paths)."""
    table = table.drop(columns=[c for c in table.columns if RUN_DEPENDENT.search(c)])
    prefix = f"{workdir}/"
    for column in table.columns:
        if not pd.api.types.is_numeric_dtype(table[column]):
            table[column] = table[column].map(
                lambda v: v.replace(prefix, "") if isinstance(v, str) else v
            )
    return table


def write_config(workdir: Path, changes: dict) -> Path:
    config = yaml.safe_load((ROOT / "tests/config/config.yaml").read_text())
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config | changes))
    return path


@pytest.fixture(scope="module")
def cluster():
    """The test cluster, up for this module; its daemons must stop afterwards."""
    try:
        up = slurm_testcluster.start()
    except slurm_testcluster.ClusterError as err:
        pytest.fail(str(err), pytrace=False)
    print(f"\nSlurm test cluster up in {up.started_s:.2f} s")
    yield up
    left = slurm_testcluster.stop(up)
    assert not left, f"Slurm test cluster: still running after stop: {left}"


@pytest.fixture(scope="module")
def runs(cluster, md_standin, tmp_path_factory) -> dict[str, Run]:
    # Boxes of the random-weight stand-in score ~0.016-0.017: thresholds low
    # enough that detections and crops are not empty.
    detector = {
        "detect": {
            "detector": "MDV5A",
            "weights": str(md_standin),
            "thresholds": {"animal": 0.017, "person": 0.017, "vehicle": 0.017},
        },
        "crop": {"min_conf": 0.017},
    }
    broken = tmp_path_factory.mktemp("broken") / "md_v5a.0.0.pt"
    broken.write_bytes(b"not a checkpoint")
    settings = {
        "slurm_detector": detector,
        "slurm_imported": {},
        "slurm_failing": {"detect": {"detector": "MDV5A", "weights": str(broken)}},
        "local_detector": detector,
        "local_imported": {},
    }
    workdirs = {name: tmp_path_factory.mktemp(name) for name in settings}
    configs = {name: write_config(workdirs[name], settings[name]) for name in settings}
    slurm_env, local_env = environment(**SLURM_ENV), environment()
    pending = {
        name: Launched(slurm_command(dir, configs[name]), dir, slurm_env)
        for name, dir in workdirs.items()
        if name.startswith("slurm_")
    }
    done = {
        name: Launched(local_command(dir, configs[name]), dir, local_env).finish()
        for name, dir in workdirs.items()
        if name.startswith("local_")
    }
    done |= {name: launched.finish() for name, launched in pending.items()}
    print(
        "\nwall time, s: "
        + ", ".join(f"{name} {r.wall_s:.0f}" for name, r in sorted(done.items()))
    )
    return done


def rule_of(job: dict[str, str]) -> str:
    """The rule a Slurm job runs: the plugin's comment, rule_<name>[_wildcards_…]."""
    found = re.fullmatch(r"rule_(\w+?)(?:_wildcards_.*)?", job["Comment"])
    assert found, job
    return found.group(1)


def test_jobs_went_through_sbatch(cluster, runs):
    for name in ("slurm_detector", "slurm_imported"):
        done = runs[name]
        assert done.returncode == 0, done.failure()
        jobs = cluster.jobs(done.slurm_run_id)
        assert {job["JobState"] for job in jobs} == {"COMPLETED"}
        # Every job Snakemake announced is a Slurm job (array tasks included).
        announced = re.findall(r"\n(?:rule|checkpoint) (\w+):", done.output)
        assert sorted(rule_of(job) for job in jobs) == sorted(announced)
        assert {"inventory_shard", "crop_shard", "identify"} <= set(announced)
        # The per-shard rules went as job arrays: fewer sbatch calls than jobs.
        shards = [job for job in jobs if rule_of(job).endswith("_shard")]
        sbatch_calls = {job.get("ArrayJobId", job["JobId"]) for job in shards}
        assert any("ArrayJobId" in job for job in shards), shards
        assert len(sbatch_calls) < len(shards), sbatch_calls


def test_gpu_rules_get_the_gpu_and_cpu_rules_none(cluster, runs):
    done = runs["slurm_detector"]
    assert done.returncode == 0, done.failure()
    jobs = cluster.jobs(done.slurm_run_id)
    assert "detect_shard" in {rule_of(job) for job in jobs}
    for job in jobs:
        asks = job.get("TresPerJob", "") + job.get("TresPerNode", "")
        if rule_of(job) in gpu_rules():
            assert "gres:gpu:fake:1" in asks, job
            assert job["Partition"] == slurm_testcluster.GPU_PARTITION, job
        else:
            assert "gpu" not in asks, job
            assert job["Partition"] == slurm_testcluster.PARTITION, job
    logs = sorted((done.workdir / ".test/results/logs/detect_shard").glob("*.log"))
    # A shard whose files the inventory set aside (the stray ST99 folder) has
    # nothing to detect and loads no model; every other shard ran it.
    loaded = [log for log in logs if "0 images: 0 to detect now" not in log.read_text()]
    assert loaded and len(loaded) >= len(logs) - 1
    for log in loaded:
        # Slurm granted the (fake) GPU; torch found no CUDA and used the CPU.
        text = log.read_text()
        assert "device cpu (CUDA_VISIBLE_DEVICES=0, " in text, text[-2000:]


def test_outputs_equal_a_local_run(runs):
    for slurm, local in (
        ("slurm_detector", "local_detector"),
        ("slurm_imported", "local_imported"),
    ):
        for done in (runs[slurm], runs[local]):
            assert done.returncode == 0, done.failure()
        a = runs[slurm].workdir / ".test/results"
        b = runs[local].workdir / ".test/results"
        tables = sorted(p.relative_to(a) for p in a.rglob("*.parquet"))
        assert tables == sorted(p.relative_to(b) for p in b.rglob("*.parquet"))
        assert Path("crops.parquet") in tables and Path("identities.parquet") in tables
        rows = {}
        for table in tables:
            x = comparable(pd.read_parquet(a / table), runs[slurm].workdir)
            y = comparable(pd.read_parquet(b / table), runs[local].workdir)
            pd.testing.assert_frame_equal(x, y, obj=str(table))
            rows[str(table)] = len(x)
        assert rows["crops.parquet"] > 0, rows
        if slurm == "slurm_imported":
            assert rows["identities.parquet"] > 0, rows


def test_a_failing_rule_fails_the_run_and_names_the_job(runs):
    done = runs["slurm_failing"]
    assert done.returncode != 0, done.output[-3000:]
    assert "Error in rule detect_shard:" in done.output
    failed = r"SLURM-job '[\d_]+' failed, SLURM status is: 'FAILED'"
    assert re.search(failed, done.output), done.output[-3000:]
    # The rule's own log, shown by the profile's show-failed-logs.
    assert "not a checkpoint" in done.output or "Traceback" in done.output
