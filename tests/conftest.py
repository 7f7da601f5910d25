"""Shared fixtures and helpers.

Small real JPEGs with real EXIF written by the tests themselves, the stand-in
detector, the tiny season, and the one way the workflow tests run Snakemake.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SNAKEMAKE = Path(sys.executable).parent / "snakemake"
TEST_CONFIG = ROOT / "tests/config/config.yaml"


def jpeg_bytes(
    when: str | None = "2026:03:05 22:10:00",
    size: tuple[int, int] = (64, 48),
    make: str = "RECONYX",
    model: str = "HF2X",
    serial: str = "SN0001",
    seed: int = 0,
    extra_exif: dict[int, str] | None = None,
) -> bytes:
    """A real JPEG with EXIF written by Pillow (None: no timestamp at all)."""
    pixels = np.random.default_rng(seed).integers(0, 255, (size[1], size[0], 3))
    exif = Image.Exif()
    exif[0x010F] = make
    exif[0x0110] = model
    sub = exif.get_ifd(0x8769)
    if when is not None:
        sub[0x9003] = when
    sub[0xA431] = serial
    for tag, value in (extra_exif or {}).items():
        sub[tag] = value
    buf = io.BytesIO()
    Image.fromarray(pixels.astype("uint8")).save(buf, "JPEG", exif=exif, quality=85)
    return buf.getvalue()


def claiming(data: bytes, width: int, height: int) -> bytes:
    """A JPEG whose frame header (SOF) claims ``width``x``height`` pixels (a
    decompression bomb by its header, or a damaged one)."""
    out, i = bytearray(data), 2
    while out[i + 1] not in (0xC0, 0xC1, 0xC2):
        i += 2 + int.from_bytes(out[i + 2 : i + 4], "big")
    out[i + 5 : i + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(out)


def snakemake_command(
    workdir: Path, *args: str, config: Path | None = None
) -> list[str]:
    """The workflow on ``workdir`` with 2 cores, as a user runs it."""
    return [
        str(SNAKEMAKE),
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(config or TEST_CONFIG),
        "--cores",
        "2",
        *args,
    ]


def snakemake(
    workdir: Path,
    *args: str,
    config: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Run the workflow to the end; output captured for the assertion messages."""
    return subprocess.run(
        snakemake_command(workdir, *args, config=config),
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture
def shared_dir() -> Path:
    """``../shared`` as CI has it; fail loudly (not skip) where it is missing."""
    if not SHARED.is_dir():
        pytest.fail(f"{SHARED} is missing: the tests need the project's shared/ folder")
    return SHARED


@pytest.fixture(scope="session")
def md_standin(tmp_path_factory) -> Path:
    """YOLOv5 v6 P6 (small n6 variant), 3 classes, random weights, saved as MDv5."""
    from trapline.testing.standins import megadetector_standin

    return megadetector_standin(tmp_path_factory.mktemp("models") / "md_standin.pt")


@pytest.fixture(scope="session")
def tiny_season(tmp_path_factory) -> Path:
    """The simulator's tiny season (about 70 files, 640×360)."""
    from trapline.simulate import SeasonSettings, simulate_season

    out = tmp_path_factory.mktemp("season")
    simulate_season(out, SeasonSettings.tiny())
    return out


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium, headless, driven by playwright (no browser download)."""
    import shutil

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.fail("chromium is missing: ./install.sh installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> dict:
    """The demo season, run once for every page test (the report's and the
    review's) in a folder of its own: ``workdir``, ``config`` (the dict),
    ``config_path``, ``results``. The review test reruns it with decisions
    after the report test has read it (files run in name order)."""
    import yaml

    workdir = tmp_path_factory.mktemp("demo")
    config = yaml.safe_load((ROOT / "config/demo.yaml").read_text())
    path = workdir / "demo.yaml"
    path.write_text(yaml.safe_dump(config))
    done = snakemake(workdir, config=path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return {
        "workdir": workdir,
        "config": config,
        "config_path": path,
        "results": workdir / "results/demo",
    }


@pytest.fixture
def screenshots(tmp_path) -> Path:
    """Where page tests save screenshots: ``$TRAPLINE_SCREENSHOTS`` or a temporary
    folder (the docs' PNGs come from the former)."""
    import os

    folder = Path(os.environ.get("TRAPLINE_SCREENSHOTS", tmp_path / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def read_precomputed(path: Path, images):
    """Boxes of ``images`` from a MegaDetector file, read as the import rules do."""
    import tempfile

    from trapline.detect.megadetector import import_precomputed, precomputed_boxes

    table = Path(tempfile.mkdtemp()) / "precomputed.parquet"
    import_precomputed(Path(path), table)
    return precomputed_boxes(images, table)
