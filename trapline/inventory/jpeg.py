"""JPEG integrity: the truncated-image policy, in one place.

Card copies fail in ways that still look like JPEGs: zero bytes, HTML error pages
named ``.JPG``, files cut off mid-scan. A truncated JPEG decodes "fine" when PIL's
global ``ImageFile.LOAD_TRUNCATED_IMAGES`` is on (importing MegaDetector turns it
on for the whole process), so this module never relies on that flag: it checks the
start-of-image and end-of-image markers itself and, only when the end looks wrong,
does a strict full decode with the flag forced off for the duration.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, ImageFile

from trapline.quarantine import Reason

SOI = b"\xff\xd8\xff"
EOI = b"\xff\xd9"
TAIL_BYTES = 64
"""Bytes read from the end: room for the EOI marker plus a little padding."""


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


def check_jpeg(path: str | os.PathLike[str]) -> tuple[Reason, str] | None:
    """Cheap integrity check of one JPEG file.

    Reads the first 3 and last 64 bytes. Files ending in the EOI marker (allowing
    zero padding, as some cameras pad) pass without decoding; anything else is
    decoded strictly, so a camera that appends a trailer after EOI is not
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
    if tail.rstrip(b"\x00").endswith(EOI):
        return None
    return _strict_decode(Path(path), size)


def _strict_decode(path: Path, size: int) -> tuple[Reason, str] | None:
    try:
        with strict_decoding(), Image.open(path) as image:
            image.load()
    except OSError as err:
        return Reason.TRUNCATED, f"no end-of-image marker in {size} bytes; {err}"
    except (Image.DecompressionBombError, ValueError, SyntaxError) as err:
        return Reason.NOT_JPEG, f"{type(err).__name__}: {err}"
    return None
