"""The conda envs pin what pyproject pins, and the code passes its linters."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + sum(project["optional-dependencies"].values(), [])
    return {
        normal(m.group(1)): m.group(2)
        for d in deps
        if (m := re.match(r"^([A-Za-z0-9_.-]+)==([^;\s]+)", d))
    }


def env_pins(path: Path) -> dict[str, str]:
    pins = {}
    for dep in yaml.safe_load(path.read_text())["dependencies"]:
        for item in dep["pip"] if isinstance(dep, dict) else [dep]:
            m = re.match(r"^([A-Za-z0-9_.-]+)==?([^=\s]+)$", item)
            if m:
                pins[normal(m.group(1))] = m.group(2)
    return pins


@pytest.mark.parametrize("env", sorted((ROOT / "envs").glob("*.yaml")), ids=str)
def test_env_pins_match_pyproject(env):
    pins = pyproject_pins()
    shared = {k: v for k, v in env_pins(env).items() if k in pins}
    assert shared, f"{env.name} pins nothing that pyproject pins"
    assert shared == {k: pins[k] for k in shared}


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["snakefmt", "--check", "Snakefile", "rules/"],
    ],
    ids=" ".join,
)
def test_linters_pass(command):
    done = subprocess.run(
        [str(BIN / command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    "detector,species",
    [
        ("precomputed", "imported"),
        ("MDV5A", "fewshot"),
        ("own.pt", "speciesnet"),
    ],
)
def test_snakemake_lint(detector, species, tmp_path):
    """Every detect and species branch of the DAG passes Snakemake's own linter."""
    config = yaml.safe_load((ROOT / "tests/config/config.yaml").read_text())
    if detector != "precomputed":
        own = tmp_path / detector
        own.write_bytes(b"weights")
        config["detect"] = {
            "detector": str(own) if detector.endswith(".pt") else detector
        }
    config["species"] = {"backend": species}
    if species == "fewshot":
        for name in ("Lynx_lynx", "Vulpes_vulpes"):
            (tmp_path / "reference" / name).mkdir(parents=True)
        config["species"]["reference"] = str(tmp_path / "reference")
        config["embed"] = {"model": "vit_small_patch14_reg4_dinov2.lvd142m"}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    done = subprocess.run(
        [str(BIN / "snakemake"), "--lint", "--configfile", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    "name", ["config/demo.yaml", "config/config.yaml", "tests/config/config.yaml"]
)
def test_shipped_configs_lint_clean_without_side_effects(name, tmp_path):
    """The README's demo, the template and the test config pass --lint, and linting
    writes nothing: no shard manifests, no results (the season is planned when the
    DAG is built, not when the workflow is parsed)."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    done = subprocess.run(
        [str(BIN / "snakemake"), "--lint", "--configfile", str(ROOT / name)]
        + ["--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    written = [p for p in workdir.rglob("*") if ".snakemake" not in p.parts]
    assert written == []


def test_lint_of_an_existing_season_writes_no_manifest(tiny_season, tmp_path):
    """With the season on disk, parsing must still not walk it or write the plan."""
    config = yaml.safe_load((ROOT / "tests/config/config.yaml").read_text())
    del config["simulate"]
    config |= {
        "images_root": str(tiny_season / "images"),
        "stations": str(tiny_season / "stations.csv"),
        "results": str(tmp_path / "results"),
        "identify": {"catalogue": str(tiny_season / "catalogue")},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    done = subprocess.run(
        [str(BIN / "snakemake"), "--lint", "--configfile", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (tmp_path / "results").exists()
