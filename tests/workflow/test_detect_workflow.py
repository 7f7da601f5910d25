"""The workflow with MegaDetector itself (stand-in weights), not imported boxes."""

import json
import os
from pathlib import Path

import pandas as pd
import pytest
import yaml
from megadetector.postprocessing.validate_batch_results import (
    ValidateBatchResultsOptions,
    validate_batch_results,
)

from conftest import ROOT, snakemake

pytestmark = pytest.mark.slow


def run(workdir: Path, config: dict, *args: str, env: dict | None = None):
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    environment = {k: v for k, v in os.environ.items() if k != "MDV5A"} | (env or {})
    return snakemake(workdir, *args, config=path, env=environment)


def config(detect: dict) -> dict:
    base = yaml.safe_load((ROOT / "tests/config/config.yaml").read_text())
    return base | {"detect": detect}


def test_megadetector_rule_runs_the_model_and_accounts_for_every_file(
    md_standin, tmp_path
):
    done = run(tmp_path, config({"detector": "MDV5A"}), env={"MDV5A": str(md_standin)})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = tmp_path / ".test/results"
    raw = pd.read_parquet(results / "detect/raw.parquet")
    assert (raw["detector"] == md_standin.name).all() and len(raw) > 0
    logs = {
        p.stem: p.read_text()
        for p in (tmp_path / ".test/results/logs/detect_shard").glob("*.log")
    }
    # The stray ST99 folder (no stations-table row) is set aside by the inventory:
    # its shard has nothing to detect and never loads the model.
    assert logs and all(
        ("PTDetector" in log) != shard.startswith("ST99") for shard, log in logs.items()
    )
    images = pd.read_parquet(results / "images.parquet")
    quarantine = pd.read_parquet(results / "quarantine.parquet")
    on_disk = [p for p in (tmp_path / ".test/season/images").rglob("*") if p.is_file()]
    assert len(images) + len(quarantine) == len(on_disk)
    options = ValidateBatchResultsOptions()
    options.raise_errors = True
    report = validate_batch_results(str(results / "detections.json"), options)
    assert report["validation_results"]["errors"] == []
    listed = json.loads((results / "detections.json").read_text())["images"]
    assert {i["file"] for i in listed} == set(images["path"])


def test_missing_weights_plan_fetch_megadetector(tmp_path):
    # The season must exist for its shards' detect jobs to be planned.
    simulated = run(tmp_path, config({"detector": "MDV5B"}), "simulate_season")
    assert simulated.returncode == 0, simulated.stderr[-3000:]
    done = run(tmp_path, config({"detector": "MDV5B"}), "-n")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rule fetch_megadetector:" in done.stdout
    assert "resources/models/md_v5b.0.1.pt" in done.stdout


def test_fetch_models_target_fetches_detector_and_backbone(tmp_path):
    settings = config({"detector": "MDV5A"}) | {
        "embed": {"model": "vit_small_patch14_reg4_dinov2.lvd142m"}
    }  # noqa: E501
    done = run(tmp_path, settings, "-n", "fetch_models")
    assert done.returncode == 0, done.stdout + done.stderr
    planned = {
        line.split()[1].rstrip(":")
        for line in done.stdout.splitlines()
        if line.startswith(("rule ", "localrule "))
    }
    assert planned == {"fetch_megadetector", "fetch_backbone", "fetch_models"}


def test_spaces_in_every_path_reach_the_detector(md_standin, tmp_path):
    """Project, season, results and weights folders with spaces: the detect rule's
    shell command must quote every path (the precomputed demo never reaches it)."""
    project = tmp_path / "lynx project"
    weights = project / "model files" / "md standin.pt"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(md_standin.read_bytes())
    settings = config({"detector": str(weights)}) | {
        "images_root": "season data/images",
        "stations": "season data/stations.csv",
        "results": "our results",
        "simulate": {"season": "season data", "seed": 3, "preset": "tiny"},
        "identify": {"catalogue": "season data/catalogue"},
    }
    done = run(project, settings)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = project / "our results"
    raw = pd.read_parquet(results / "detect/raw.parquet")
    assert (raw["detector"] == "md standin.pt").all() and len(raw) > 0
    images = pd.read_parquet(results / "images.parquet")
    quarantine = pd.read_parquet(results / "quarantine.parquet")
    on_disk = [p for p in (project / "season data/images").rglob("*") if p.is_file()]
    assert len(images) + len(quarantine) == len(on_disk)
