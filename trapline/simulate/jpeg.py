"""JPEG encoding with the EXIF tags a camera trap writes.

Only the tags the pipeline relies on are written, in the places real cameras
put them: ``Make``/``Model`` in IFD0, ``DateTimeOriginal`` and
``BodySerialNumber`` (exiftool's ``SerialNumber``) in the Exif sub-IFD.
``DateTimeOriginal`` is camera-local wall-clock time without a zone, exactly
the ambiguity the pipeline's timestamp stage has to resolve.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

_MAKE, _MODEL, _EXIF_IFD = 0x010F, 0x0110, 0x8769
_DATETIME_ORIGINAL, _BODY_SERIAL = 0x9003, 0xA431


@dataclass(frozen=True)
class ExifStamp:
    """What a camera writes into each picture."""

    make: str
    model: str
    serial: str
    datetime_original: str | None
    """``YYYY:MM:DD HH:MM:SS`` on the camera's clock, or None for no timestamp."""


def exif_for(stamp: ExifStamp) -> Image.Exif:
    """Build the EXIF block for ``stamp``."""
    exif = Image.Exif()
    exif[_MAKE] = stamp.make
    exif[_MODEL] = stamp.model
    sub = exif.get_ifd(_EXIF_IFD)
    sub[_BODY_SERIAL] = stamp.serial
    if stamp.datetime_original is not None:
        sub[_DATETIME_ORIGINAL] = stamp.datetime_original
    return exif


def encode_jpeg(image: Image.Image, quality: int, stamp: ExifStamp | None) -> bytes:
    """JPEG bytes of ``image``; no EXIF block at all when ``stamp`` is None."""
    buffer = io.BytesIO()
    extra = {"exif": exif_for(stamp)} if stamp is not None else {}
    image.save(buffer, format="JPEG", quality=quality, **extra)
    return buffer.getvalue()
