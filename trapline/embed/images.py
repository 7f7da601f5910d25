"""Images to model inputs: decode, cut the box, letterbox, normalise. Never flip."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

from trapline.inventory.jpeg import strict_decoding

Box = tuple[float, float, float, float]
"""(x, y, w, h) of a region, fractions of the image's width and height."""

ImageRef = Path | tuple[Path, Box]
"""An image file, or a box within one (a catalogue image with its animal)."""


class EmbedError(ValueError):
    """The backbone or an image cannot be used as configured."""


def letterbox(
    image: Image.Image, size: int, fill: tuple[int, ...], resample: int
) -> Image.Image:
    """Resize the whole image into a ``size`` square, keeping its aspect; pad the rest.

    Why not timm's centre crop: detector boxes are wide (a walking animal is
    often 2-3× wider than tall), and a centre crop of a wide box cuts off the
    head and hindquarters, where much of the coat pattern is. Why not squash to a
    square: the same animal in a wide and a tall box would then have differently
    stretched spots. The padding is the normalisation mean, i.e. zero after
    normalising, the most neutral input the model can be given.
    """
    scale = size / max(image.size)
    w = max(1, round(image.width * scale))
    h = max(1, round(image.height * scale))
    canvas = Image.new("RGB", (size, size), fill)
    canvas.paste(image.resize((w, h), resample), ((size - w) // 2, (size - h) // 2))
    return canvas


def decode_region(path: Path, box: Box | None, size: int) -> Image.Image:
    """Decode ``path`` (EXIF orientation applied), cut to ``box``, strictly.

    JPEG draft mode decodes at the smallest DCT scale that keeps the region at
    least ``size`` pixels on its long side: a 6000×4000 catalogue photo is not
    decoded at full size for a 518 px model input.
    """
    x, y, w, h = box or (0.0, 0.0, 1.0, 1.0)
    with strict_decoding(), Image.open(path) as image:
        region = max(image.width * w, image.height * h)
        if size < region:
            scale = size / region
            draft = (math.ceil(image.width * scale), math.ceil(image.height * scale))
            image.draft("RGB", draft)
        image = ImageOps.exif_transpose(image).convert("RGB")
    if box is None:
        return image
    width, height = image.size
    left, top = round(x * width), round(y * height)
    right = min(width, max(left + 1, round((x + w) * width)))
    bottom = min(height, max(top + 1, round((y + h) * height)))
    return image.crop((left, top, right, bottom))


class ModelInputs:
    """Map-style dataset: image reference → normalised CHW float32 tensor.

    Plain attributes only, so that spawned DataLoader workers can unpickle it.
    """

    def __init__(self, images: list[ImageRef], data_config: dict[str, Any]) -> None:
        from timm.data.transforms import str_to_pil_interp

        self.images = images
        self.size = data_config["input_size"][-1]
        self.mean = np.asarray(data_config["mean"], np.float32)
        self.std = np.asarray(data_config["std"], np.float32)
        self.fill = tuple(round(255 * m) for m in data_config["mean"])
        self.resample = str_to_pil_interp(data_config["interpolation"])

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int):
        import torch

        ref = self.images[index]
        path, box = (ref, None) if isinstance(ref, Path | str) else ref
        try:
            image = decode_region(Path(path), box, self.size)
        except (OSError, ValueError, SyntaxError) as err:
            raise EmbedError(f"cannot decode {path}: {err}") from err
        square = letterbox(image, self.size, self.fill, self.resample)
        pixels = (np.asarray(square, np.float32) / 255 - self.mean) / self.std
        return torch.from_numpy(pixels.transpose(2, 0, 1).copy())
