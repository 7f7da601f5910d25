"""Checks the capture tests share: R reads the exports, frictionless the package."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
R_READER = ROOT / "tests/r/read_exports.R"
R_CACHE = Path.home() / ".cache/trapline-r"


def rscript() -> str:
    """The Rscript executable; a failure (not a skip) where R is missing."""
    found = shutil.which("Rscript")
    if found is None:
        pytest.fail(
            "Rscript not found: the R tests need base R; ./install.sh installs it "
            "(apt package r-base-core)"
        )
    return found


def r_packages(*packages: str) -> dict[str, str]:
    """An environment in which Rscript loads ``packages``, or a skip saying how
    to get them.

    ``../shared/r/install.sh`` builds secr and nanoparquet into a library folder
    (``~/.cache/trapline-r/<hash>`` by default) and prints it; ``R_LIBS_USER``
    names it, or the default folders are tried.
    """
    folders = [os.environ.get("R_LIBS_USER", "")]
    folders += sorted(str(p.parent) for p in R_CACHE.glob("*/.complete"))
    load = "; ".join(f"library({p})" for p in packages)
    for folder in filter(None, folders):
        env = os.environ | {"R_LIBS_USER": folder}
        done = subprocess.run(
            [rscript(), "-e", load], capture_output=True, env=env, timeout=120
        )
        if done.returncode == 0:
            return env
    pytest.skip(
        f"R cannot load {', '.join(packages)}: run ../shared/r/install.sh (about "
        "10 minutes) and set R_LIBS_USER to the folder it prints"
    )


def r_totals(capture: Path) -> dict[str, str]:
    """What base R reads from the secr, MARK and occupancy exports."""
    done = subprocess.run(
        [rscript(), str(R_READER), str(capture)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)


def parquet_totals(capture: Path) -> dict[str, str]:
    """The same totals from the Parquet tables, as strings R would print."""
    captures = pd.read_parquet(capture / "captures.parquet")
    history = pd.read_parquet(capture / "capture_history.parquet")
    effort = pd.read_parquet(capture / "effort.parquet")
    traps = pd.read_parquet(capture / "traps.parquet")
    occupancy = pd.read_parquet(capture / "detection_history.parquet")
    o_cols = [c for c in history.columns if c.startswith("o") and c[1:].isdigit()]
    detections = captures[["Session", "Individual", "Occasion", "Station"]]
    totals = {
        "secr_detections": len(detections.drop_duplicates()),
        "secr_individuals": len(history),
        "secr_traps": len(traps),
        "secr_usage_sum": _usage_sum(effort["effort"].fillna(0), capture),
        "mark_individuals": len(history),
        "mark_captures": int(history[o_cols].fillna(0).to_numpy().sum()),
        "mark_occasions": int(history["ch"].str.len().max()) if len(history) else 0,
    }
    for species, rows in occupancy.groupby("Species"):
        key = "occupancy_" + species.replace(" ", "_")
        totals[f"{key}_sites"] = rows[["Session", "Station"]].drop_duplicates().shape[0]
        totals[f"{key}_detections"] = int(rows["detected"].fillna(0).sum())
        totals[f"{key}_na"] = int(rows["detected"].isna().sum())
    return {k: str(v) for k, v in totals.items()}


def _usage_sum(effort: pd.Series, capture: Path) -> str:
    """The secr trap files' usage total: days (to 4 decimals, as written and as
    R's ``format`` prints it) or, with 0/1 usage, the occasions worked."""
    header = (capture / "secr/captures.txt").read_text()
    if "binary.usage = TRUE" in header:
        return str(int((effort > 0).sum()))
    return f"{round(float(effort.round(4).sum()), 4):.7g}"


def validate_camtrap_dp(package: Path, schemas: Path, workdir: Path):
    """Validate a Camtrap DP folder offline with frictionless.

    The published descriptor names the profile and table schemas by their
    remote URLs; a copy is pointed at the local copies in ``schemas`` (the
    project's ``../shared/schemas``), which resolve their own references
    relatively. Returns the frictionless report.
    """
    from frictionless import Package, system

    local = schemas / "camtrap-dp/1.0.2"
    if not local.is_dir():
        pytest.fail(
            f"{local} is missing: the Camtrap DP test needs the 1.0.2 schemas in "
            "../shared/schemas (.ci/run requires them)"
        )
    copy = workdir / "camtrap-dp"
    shutil.copytree(package, copy)
    descriptor = json.loads((copy / "datapackage.json").read_text())
    assert descriptor["profile"].endswith("/1.0.2/camtrap-dp-profile.json")
    descriptor["profile"] = str(local / "camtrap-dp-profile.json")
    for resource in descriptor["resources"]:
        assert resource["schema"].startswith("https://")
        resource["schema"] = str(local / f"{resource['name']}-table-schema.json")
    (copy / "datapackage.json").write_text(json.dumps(descriptor))
    with system.use_context(trusted=True):  # local absolute schema paths
        return Package(str(copy / "datapackage.json")).validate()
