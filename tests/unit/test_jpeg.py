from PIL import Image, ImageFile

from conftest import claiming, jpeg_bytes, write
from trapline.inventory.jpeg import check_jpeg, header_size
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


def test_header_claiming_a_decompression_bomb_is_too_large(tmp_path):
    """30000x30000 crashed the cropper with DecompressionBombError, no file named."""
    bomb = write(tmp_path / "bomb.JPG", claiming(jpeg_bytes(), 30000, 30000))
    limit = Image.MAX_IMAGE_PIXELS
    reason, detail = check_jpeg(bomb)
    assert reason == Reason.TOO_LARGE
    assert "30000x30000" in detail
    assert Image.MAX_IMAGE_PIXELS == limit  # PIL's own limit put back


def test_pixel_limit_is_a_setting_and_header_size_is_read_without_decoding(tmp_path):
    path = write(tmp_path / "a.JPG", jpeg_bytes(size=(64, 48)))
    assert header_size(path) == (64, 48)
    assert check_jpeg(path, max_pixels=64 * 48) is None
    assert check_jpeg(path, max_pixels=64 * 48 - 1)[0] == Reason.TOO_LARGE


def test_jpeg_ends_without_a_parsable_header_is_unreadable(tmp_path):
    """Start and end markers intact, the middle destroyed (a damaged card)."""
    data = jpeg_bytes()
    wiped = data[:3] + bytes(len(data) - 5) + data[-2:]
    reason, detail = check_jpeg(write(tmp_path / "w.JPG", wiped))
    assert reason == Reason.UNREADABLE and "header cannot be parsed" in detail
