"""EXIF read through a real exiftool in batch mode."""

import io

import pandas as pd
from PIL import Image, ImageOps

from conftest import jpeg_bytes, write
from trapline.inventory.exif import ExifReader, oriented_size


def test_batch_reads_tags_and_keeps_per_file_errors(tmp_path):
    good = write(tmp_path / "Zürich süd/A/IMG_0001.JPG", jpeg_bytes(serial="X1"))
    other = write(tmp_path / "a/IMG_0002.JPG", jpeg_bytes("2026:03:02 01:02:03"))
    missing = tmp_path / "a/gone.JPG"
    with ExifReader(workers=2, batch_size=2) as reader:
        found = reader.read([str(good), str(missing), str(other)])
        records = {r.path: r for r in found}
    assert records[str(good)].get("SerialNumber") == "X1"
    assert records[str(good)].get("Make") == "RECONYX"
    assert records[str(other)].get("DateTimeOriginal") == "2026:03:02 01:02:03"
    assert records[str(good)].error is None
    assert records[str(missing)].error and "gone.JPG" in records[str(missing)].error


def test_progress_counts_every_file(tmp_path):
    paths = [str(write(tmp_path / f"{i}.JPG", jpeg_bytes(seed=i))) for i in range(7)]
    seen = []
    with ExifReader(workers=2, batch_size=3) as reader:
        out = list(reader.read(paths, progress=seen.append))
    assert len(out) == 7 and sum(seen) == 7


def test_orientation_is_read_and_turns_the_size_as_pil_does(tmp_path):
    """The detector and the cropper see the frame upright (PIL's exif_transpose)."""
    exif = Image.Exif()
    exif[0x0112] = 6  # IFD0 Orientation: rotate 90° clockwise to view
    buf = io.BytesIO()
    Image.new("RGB", (640, 360)).save(buf, "JPEG", exif=exif)
    path = write(tmp_path / "turned.JPG", buf.getvalue())
    with ExifReader() as reader:
        (record,) = reader.read([str(path)])
    assert record.get("Orientation") == 6
    width, height = oriented_size(
        pd.Series([640, 640, 640]), pd.Series([360, 360, 360]), pd.Series([6, 1, None])
    )
    with Image.open(path) as image:
        upright = ImageOps.exif_transpose(image).size
    assert (width[0], height[0]) == upright == (360, 640)
    assert (width[1], height[1]) == (width[2], height[2]) == (640, 360)
