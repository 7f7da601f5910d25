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
