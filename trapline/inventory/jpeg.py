"""JPEG integrity: the truncated-image policy, in one place.

Card copies fail in ways that still look like JPEGs: zero bytes, HTML error pages
named ``.JPG``, files cut off mid-scan. A truncated JPEG decodes "fine" when PIL's
global ``ImageFile.LOAD_TRUNCATED_IMAGES`` is on (importing MegaDetector turns it
on for the whole process), so this module never relies on that flag: it checks the
start-of-image and end-of-image markers itself and, only when the end looks wrong,
does a strict full decode with the flag forced off for the duration.

It also reads the pixel size from the frame header (no decode): a damaged or
patched header that claims 30000x30000 pixels would otherwise pass here and crash
the detector or the cropper later with PIL's ``DecompressionBombError``, which
names no file and stops the job.

What it does not catch: a file damaged in the middle of its compressed data whose
header and end marker are intact. Finding those takes a full decode of every image
(tens of milliseconds each, the detector's own cost) and libjpeg still decodes most
of them with a warning rather than an error, so they are left to the detector.
"""

from __future__ import annotations

import os
import warnings
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, ImageFile

from trapline.quarantine import Reason

SOI = b"\xff\xd8\xff"
EOI = b"\xff\xd9"
TAIL_BYTES = 64
"""Bytes read from the end: room for the EOI marker plus a little padding."""
MAX_PIXELS = 89_478_485
"""Most pixels an image may have: PIL's default ``Image.MAX_IMAGE_PIXELS``, the size
at which PIL itself calls a file a possible decompression bomb (and refuses twice
that). Camera traps write at most ~40 megapixels; above this the header is damaged
or the file is not a trap image, and decoding it would take gigabytes."""


@contextmanager
def strict_decoding():
    """Make PIL reject truncated images inside the block; restore the flag after."""
    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved


@contextmanager
def no_pixel_limit():
    """Let PIL open any header inside the block, so the size can be read and judged
    here (PIL would raise on opening a bomb, before telling its size)."""
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


@contextmanager
def megadetector_imports():
    """Import MegaDetector modules inside this block without its global side effect.

    Importing ``megadetector.visualization.visualization_utils`` (which the detector
    modules import) switches ``LOAD_TRUNCATED_IMAGES`` on for the whole process;
    the flag is put back as it was.
    """
    saved = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = saved


def check_jpeg(
    path: str | os.PathLike[str], max_pixels: int = MAX_PIXELS
) -> tuple[Reason, str] | None:
    """Cheap integrity check of one JPEG file.

    Reads the first 3 and last 64 bytes, and the header up to the frame size (PIL,
    no decode). A header claiming more than ``max_pixels`` is set aside before
    anything decodes it. Files ending in the EOI marker (allowing zero padding, as
    some cameras pad) pass without decoding if their header parses; anything else
    is decoded strictly, so a camera that appends a trailer after EOI is not
    mistaken for a truncated file.

    Returns:
        None when the file is a complete JPEG, else ``(reason, detail)``.
    """
    try:
        size = os.path.getsize(path)
        if size == 0:
            return Reason.EMPTY_FILE, "0 bytes"
        with open(path, "rb") as f:
            head = f.read(len(SOI))
            f.seek(max(0, size - TAIL_BYTES))
            tail = f.read()
    except OSError as err:
        return Reason.UNREADABLE, f"{type(err).__name__}: {err.strerror or err}"
    if head != SOI:
        return Reason.NOT_JPEG, f"starts with {head[:3].hex()} (a JPEG starts ffd8ff)"
    pixels = header_size(path)
    if isinstance(pixels, tuple) and pixels[0] * pixels[1] > max_pixels:
        width, height = pixels
        return Reason.TOO_LARGE, (
            f"header claims {width}x{height} pixels "
            f"({width * height / 1e6:.0f} megapixels, limit {max_pixels / 1e6:.0f})"
        )
    if tail.rstrip(b"\x00").endswith(EOI):
        if isinstance(pixels, str):
            return Reason.UNREADABLE, (
                f"starts and ends like a JPEG but its header cannot be parsed: {pixels}"
            )
        return None
    return _strict_decode(Path(path), size)


def header_size(path: str | os.PathLike[str]) -> tuple[int, int] | str:
    """``(width, height)`` as the frame header stores it (before EXIF orientation),
    or why the header cannot be parsed."""
    try:
        with no_pixel_limit(), Image.open(path) as image:
            return image.size
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        return f"{type(err).__name__}: {err}"


def _strict_decode(path: Path, size: int) -> tuple[Reason, str] | None:
    try:
        with strict_decoding(), Image.open(path) as image:
            image.load()
    except OSError as err:
        return Reason.TRUNCATED, f"no end-of-image marker in {size} bytes; {err}"
    except (Image.DecompressionBombError, ValueError, SyntaxError) as err:
        return Reason.NOT_JPEG, f"{type(err).__name__}: {err}"
    return None
