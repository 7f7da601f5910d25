"""Shared fixtures: small real JPEGs with real EXIF, written by the tests themselves."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SHARED = Path(__file__).resolve().parents[2] / "shared"


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
    from trapline.standins import megadetector_standin

    return megadetector_standin(tmp_path_factory.mktemp("models") / "md_standin.pt")


@pytest.fixture(scope="session")
def tiny_season(tmp_path_factory) -> Path:
    """The simulator's tiny season (about 70 files, 640×360)."""
    from trapline.simulate import SeasonSettings, simulate_season

    out = tmp_path_factory.mktemp("season")
    simulate_season(out, SeasonSettings.tiny())
    return out


def read_precomputed(path: Path, images):
    """Boxes of ``images`` from a MegaDetector file, read as the import rules do."""
    import tempfile

    from trapline.detect_shards import import_precomputed, precomputed_boxes

    table = Path(tempfile.mkdtemp()) / "precomputed.parquet"
    import_precomputed(Path(path), table)
    return precomputed_boxes(images, table)
