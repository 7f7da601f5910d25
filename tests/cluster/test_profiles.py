"""profiles/slurm without a cluster: found by name, read by both forms, GPU rules
(and only they) given a GPU. tests/cluster/test_slurm.py runs it on a real Slurm."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
import yaml

from conftest import ROOT, SNAKEMAKE

PROFILE = ROOT / "profiles/slurm/config.yaml"


def clean_environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAPLINE_SLURM_")}
    return env | extra


def profile(monkeypatch, **env: str) -> dict:
    """The profile as Snakemake reads it (YTE templating included)."""
    from snakemake.profiles import ProfileConfigFileParser

    for name in [k for k in os.environ if k.startswith("TRAPLINE_SLURM_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with PROFILE.open() as stream:
        return ProfileConfigFileParser().parse(stream)


def per_rule(settings: dict) -> dict[str, dict[str, str]]:
    rules: dict[str, dict[str, str]] = {}
    for item in settings["set-resources"]:
        rule, assignment = item.split(":", 1)
        name, value = assignment.split("=", 1)
        rules.setdefault(rule, {})[name] = value
    return rules


def gpu_rules() -> set[str]:
    """Rules in rules/*.smk whose resources ask for a GPU."""
    found = set()
    for smk in sorted((ROOT / "rules").glob("*.smk")):
        parts = re.split(r"^\s*rule (\w+):", smk.read_text(), flags=re.M)
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            if re.search(r"^\s*gpu\s*=", body, flags=re.M):
                found.add(name)
    return found


def test_profile_name_resolves_from_the_project_folder():
    """`snakemake --profile slurm` looks in ./slurm: install.sh links it."""
    link = ROOT / "slurm"
    assert link.exists(), "./slurm is missing: ./install.sh links it to profiles/slurm"
    assert link.resolve() == (ROOT / "profiles/slurm").resolve()


def test_every_gpu_rule_gets_a_gpu_job_and_no_other_rule_does(monkeypatch):
    settings = profile(monkeypatch, TRAPLINE_SLURM_GPU_PARTITION="gpu")
    rules = per_rule(settings)
    with_gpu = {rule for rule, resources in rules.items() if "gpu" in resources}
    assert gpu_rules() and with_gpu == gpu_rules()
    for rule in with_gpu:
        assert rules[rule]["gpu"] == "1"
        assert rules[rule]["slurm_partition"] == "'gpu'", rules[rule]
    assert not any(item.startswith("gpu") for item in settings["default-resources"])
    assert settings["executor"] == "slurm"


def test_site_settings_come_from_the_environment(monkeypatch):
    bare = profile(monkeypatch)
    assert "slurm-qos" not in bare
    assert not [r for r in bare["default-resources"] if r.startswith("slurm_")]
    assert not [r for r in bare["set-resources"] if "slurm_partition" in r]
    site = profile(
        monkeypatch,
        TRAPLINE_SLURM_ACCOUNT="proj-42",
        TRAPLINE_SLURM_PARTITION="all",  # a Python builtin's name: kept a string
        TRAPLINE_SLURM_GPU_PARTITION="gpu-a100",
        TRAPLINE_SLURM_GPU_MODEL="a100",
        TRAPLINE_SLURM_QOS="long",
    )
    assert site["slurm-qos"] == "long"
    assert "slurm_account='proj-42'" in site["default-resources"]
    assert "slurm_partition='all'" in site["default-resources"]
    detect = per_rule(site)["detect_shard"]
    assert detect["slurm_partition"] == "'gpu-a100'"
    assert detect["gpu_model"] == "'a100'"


@pytest.mark.parametrize(
    "form, says",
    [
        (["--profile", "slurm"], "Using profiles slurm and workflow specific profile"),
        (["--workflow-profile", "profiles/slurm"], "specific profile profiles/slurm"),
    ],
    ids=["--profile slurm", "--workflow-profile profiles/slurm"],
)
def test_both_forms_apply_the_slurm_profile(form, says, tiny_season, tmp_path):
    config = yaml.safe_load((ROOT / "tests/config/config.yaml").read_text())
    del config["simulate"]  # an existing season: its shards are planned at parse time
    config |= {
        "images_root": str(tiny_season / "images"),
        "stations": str(tiny_season / "stations.csv"),
        "identify": {"catalogue": str(tiny_season / "catalogue")},
        "detect": {"detector": "MDV5A", "weights": "md.pt"},
    }
    (tmp_path / "md.pt").write_bytes(b"weights")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    done = subprocess.run(
        [str(SNAKEMAKE), *form, "-n", "-d", str(tmp_path)]
        + ["--configfile", str(tmp_path / "config.yaml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=clean_environment(TRAPLINE_SLURM_GPU_PARTITION="gpu"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert says in done.stderr, done.stderr

    def resources(rule: str) -> str:
        block = done.stdout[done.stdout.index(f"rule {rule}:") :]
        return block[block.index("resources:") :].splitlines()[0]

    assert "gpu=1" in resources("detect_shard")
    assert "slurm_partition=gpu" in resources("detect_shard")
    assert "mem_mb=16000" in resources("detect_shard")
    assert "gpu=" not in resources("inventory_shard")
    assert "gpu=" not in resources("identify")
