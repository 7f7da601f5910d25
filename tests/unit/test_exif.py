"""EXIF read through a real exiftool in batch mode."""

from conftest import jpeg_bytes, write
from trapline.inventory.exif import ExifReader


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
