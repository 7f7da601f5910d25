from PIL import ImageFile

from conftest import jpeg_bytes, write
from trapline.inventory.jpeg import check_jpeg
from trapline.quarantine import Reason


def test_complete_jpeg_passes(tmp_path):
    assert check_jpeg(write(tmp_path / "a.JPG", jpeg_bytes())) is None


def test_trailer_after_end_marker_is_not_truncation(tmp_path):
    path = write(tmp_path / "a.JPG", jpeg_bytes() + b"MAKERTRAILER")
    assert check_jpeg(path) is None


def test_truncated_is_caught_even_with_pil_leniency_switched_on(tmp_path):
    """MegaDetector switches LOAD_TRUNCATED_IMAGES on process-wide on import."""
    data = jpeg_bytes(size=(320, 240))
    path = write(tmp_path / "cut.JPG", data[: len(data) // 2])
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    try:
        verdict = check_jpeg(path)
        assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # restored, not clobbered
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False
    assert verdict is not None and verdict[0] == Reason.TRUNCATED


def test_empty_and_not_jpeg(tmp_path):
    assert check_jpeg(write(tmp_path / "e.JPG", b""))[0] == Reason.EMPTY_FILE
    html = write(tmp_path / "h.JPG", b"<html>404</html>")
    assert check_jpeg(html)[0] == Reason.NOT_JPEG


def test_unreadable(tmp_path):
    assert check_jpeg(tmp_path / "missing.JPG")[0] == Reason.UNREADABLE
