"""MegaDetector on a season's images: the package's own model code, a leaner loop.

The model is loaded by MegaDetector's real loader (``PTDetector``) and run with
its own preprocessing (letterbox) and post-processing (NMS, box conversion), so
boxes mean what MegaDetector's boxes mean. What trapline changes is the loop
around it:

- inference under ``torch.inference_mode()`` (MegaDetector leaves autograd on,
  which keeps every activation alive: about twice the memory), with convolution
  weights stored channels-last, batch norms folded into their convolutions where
  the loader's own fusion missed them, SiLU in place, and (on a CPU) freed
  activation memory kept for the next image instead of returned to the system;
- JPEG decode straight to the detector's input scale where the JPEG allows it
  (draft mode: a 4000×3000 frame decodes at 2000×1500 for a 1280 model) instead
  of full size; on a GPU in DataLoader worker processes, overlapped with
  inference;
- batches on a GPU, all cores on a CPU, one process (MegaDetector's CPU path
  starts one model per core).

Workers start with ``spawn``: MegaDetector's pools hang when forked after torch
has run. A file that cannot be decoded goes to quarantine; the job goes on.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image, ImageOps
from tqdm import tqdm

from trapline.detect.megadetector import box_rows, raw_frame
from trapline.inventory.jpeg import megadetector_imports, strict_decoding
from trapline.malloc import keep_freed_memory
from trapline.quarantine import Quarantined, Reason

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DetectorSettings:
    """How to run the detector.

    Args:
        weights: a MegaDetector checkpoint (``.pt``).
        image_size: long side the model sees; MDv5 was trained at 1280.
        batch_size: images per forward pass on a GPU (1 on a CPU, where batching
            gains nothing and costs memory).
        min_conf: lowest confidence kept in the raw output (MegaDetector's 0.005),
            so thresholds can change later without rerunning the model.
        threads: CPU threads for inference.
        decode_workers: processes decoding JPEGs beside inference; None picks
            ``threads`` on a GPU and none on a CPU, where decoding is ~2 % of the
            time per image and a spawned worker costs seconds of start-up and a
            second copy of torch.
        device: ``cuda``/``cpu``; None picks the GPU when there is one.
    """

    weights: Path
    image_size: int = 1280
    batch_size: int = 8
    min_conf: float = 0.005
    threads: int = 1
    decode_workers: int | None = None
    device: str | None = None


class Detector:
    """A loaded MegaDetector; call it with image paths to get raw boxes."""

    def __init__(self, settings: DetectorSettings) -> None:
        import torch

        with megadetector_imports():
            from megadetector.detection.pytorch_detector import PTDetector

        self.settings = settings
        torch.set_num_threads(max(1, settings.threads))
        device = settings.device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.on_gpu = device.startswith("cuda")
        if not self.on_gpu:
            keep_freed_memory()
        # Which device, and what the scheduler granted (a Slurm GPU job sets
        # CUDA_VISIBLE_DEVICES): a job on a GPU node that falls back to the CPU
        # shows it here.
        log.info(
            "device %s (CUDA_VISIBLE_DEVICES=%s, torch.cuda.is_available()=%s)",
            device,
            os.environ.get("CUDA_VISIBLE_DEVICES", "unset"),
            torch.cuda.is_available(),
        )
        self.model = PTDetector(str(settings.weights), {"device": device})
        fused = _fuse_batchnorm(self.model.model)
        if fused:
            log.info("fused %d convolution + batch-norm pairs the loader left", fused)
        _silu_in_place(self.model.model)
        _channels_last(self.model.model)
        self.name = Path(settings.weights).name

    def __call__(
        self, root: Path, images: pd.DataFrame
    ) -> tuple[pd.DataFrame, list[Quarantined]]:
        """Detect on every image.

        Args:
            root: ``images_root``.
            images: rows of ``images.parquet`` (``image_id``, ``path``).

        Returns:
            Raw boxes (``image_id, det_index, category, conf, bbox_*``) at or above
            ``min_conf``, and the images that could not be read.
        """
        rows: list[dict[str, Any]] = []
        failed: list[Quarantined] = []
        for batch_rows, batch_failed, _ in self.batches(root, images):
            rows += batch_rows
            failed += batch_failed
        return raw_frame(rows), failed

    def batches(
        self, root: Path, images: pd.DataFrame
    ) -> Iterator[tuple[list[dict[str, Any]], list[Quarantined], list[str]]]:
        """Detect batch by batch: box rows, failures and the paths done, per batch.

        A caller that saves as it goes loses at most one batch to a killed job.
        """
        import torch
        from torch.utils.data import DataLoader

        s = self.settings
        dataset = _DecodedImages(
            [str(root / p) for p in images["path"]], str(s.weights), s.image_size
        )
        workers = s.decode_workers
        if workers is None:
            workers = s.threads if self.on_gpu else 0
        loader = DataLoader(
            dataset,
            batch_size=s.batch_size if self.on_gpu else 1,
            num_workers=workers,
            collate_fn=list,
            multiprocessing_context="spawn" if workers else None,
            worker_init_fn=_DecodedImages.start_worker,
        )
        # MegaDetector keys results by the file name it was given: map back.
        by_file = {
            str(root / path): (image_id, path)
            for image_id, path in images[["image_id", "path"]].itertuples(index=False)
        }
        bar = tqdm(total=len(dataset), desc="detect", unit="img", mininterval=10)
        with torch.inference_mode(), bar:
            for batch in loader:
                rows: list[dict[str, Any]] = []
                failed: list[Quarantined] = []
                ok = [item for item in batch if "failure" not in item]
                for item in batch:
                    if "failure" in item:
                        path = by_file[item["file"]][1]
                        failed.append(
                            Quarantined(path, "detect", item["reason"], item["failure"])
                        )
                results = self._detect(ok) if ok else []
                for result in results:
                    image_id, path = by_file[result["file"]]
                    if result.get("detections") is None:
                        detail = f"MegaDetector: {result.get('failure')}"
                        failed.append(
                            Quarantined(path, "detect", Reason.UNREADABLE, detail)
                        )
                        continue
                    rows += box_rows(image_id, result["detections"], self.name)
                bar.update(len(batch))
                yield rows, failed, [by_file[item["file"]][1] for item in batch]

    def _detect(self, preprocessed: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self.model.generate_detections_one_batch(
            preprocessed, detection_threshold=self.settings.min_conf
        )


def _fuse_batchnorm(model) -> int:
    """Fold each batch norm into its convolution, as MegaDetector's loader means to.

    The loader calls YOLOv5's ``Model.fuse()``, but in ``ultralytics-yolov5``
    0.1.1 ``models/experimental.py`` imports ``Conv`` from ``yolov5.models.common``,
    which shadows the ``models.common.Conv`` that MDv5 checkpoints are pickled
    with; ``fuse()``'s ``isinstance`` test then fails for 147 of YOLOv5x6's 159
    convolutions, and each keeps a batch norm that reads and writes its whole
    output again. Folding is the same arithmetic up to float rounding.

    Returns:
        How many pairs were folded (0 where the loader already fused them all).
    """
    import torch
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    fused = 0
    for module in model.modules():
        bn = getattr(module, "bn", None)
        conv = getattr(module, "conv", None)
        if not (
            isinstance(bn, torch.nn.BatchNorm2d)
            and isinstance(conv, torch.nn.Conv2d)
            and hasattr(module, "forward_fuse")
        ):
            continue
        module.conv = fuse_conv_bn_eval(conv.eval(), bn.eval())
        del module.bn
        module.forward = module.forward_fuse
        fused += 1
    return fused


def _silu_in_place(model) -> None:
    """Let a convolution block's SiLU overwrite its input: one allocation less each.

    Only the ``act`` of a block with a ``conv`` (YOLOv5's and ultralytics'
    ``Conv``: ``act(conv(x))`` once batch norm is folded), whose input is a fresh
    convolution output used nowhere else; safe under ``torch.inference_mode()``,
    where nothing keeps it for a backward pass.
    """
    import torch

    for module in model.modules():
        act = getattr(module, "act", None)
        if isinstance(act, torch.nn.SiLU) and hasattr(module, "conv"):
            act.inplace = True


def _channels_last(model) -> None:
    """Store convolution weights channels-last (NHWC).

    oneDNN and cuDNN run NHWC convolutions faster (measured: 1.4× on this
    project's 2-core CPU for YOLOv5x6 at 1280); the arithmetic is the same, so
    boxes agree with MegaDetector's own path to float rounding.
    """
    import torch

    for module in model.modules():
        if isinstance(module, torch.nn.Conv2d):
            module.weight.data = module.weight.data.contiguous(
                memory_format=torch.channels_last
            )


class _ShapeOnly:
    """Stands in for the decoded frame after preprocessing.

    MegaDetector keeps the full frame in its preprocessed dict but reads only its
    ``.shape`` afterwards; shipping 36 MB frames back from worker processes for a
    shape would cost more than the decode saved.
    """

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape


class _DecodedImages:
    """Map-style dataset: path → MegaDetector-preprocessed dict, or a failure."""

    _preprocessor: Any = None

    def __init__(self, paths: list[str], weights: str, image_size: int) -> None:
        self.paths = paths
        self.weights = weights
        self.image_size = image_size

    def __len__(self) -> int:
        return len(self.paths)

    @staticmethod
    def start_worker(_: int) -> None:
        """Each worker builds a weight-less MegaDetector preprocessor once."""
        with megadetector_imports():
            from megadetector.detection.pytorch_detector import PTDetector

        import torch

        torch.set_num_threads(1)
        info = torch.utils.data.get_worker_info()
        dataset = info.dataset
        dataset._preprocessor = PTDetector(dataset.weights, {"preprocess_only": True})

    def __getitem__(self, index: int) -> dict[str, Any]:
        path = self.paths[index]
        try:
            frame = decode_for_detector(Path(path), self.image_size)
        except (OSError, ValueError, SyntaxError) as err:
            truncated = "truncated" in str(err)
            reason = Reason.TRUNCATED if truncated else Reason.UNREADABLE
            return {"file": path, "failure": str(err), "reason": reason}
        if self._preprocessor is None:
            self.start_in_process()
        info = self._preprocessor.preprocess_image(frame, path, self.image_size)
        info["img_original"] = _ShapeOnly(frame.shape)
        info.pop("img_original_pil", None)
        return info

    def start_in_process(self) -> None:
        with megadetector_imports():
            from megadetector.detection.pytorch_detector import PTDetector
        self._preprocessor = PTDetector(self.weights, {"preprocess_only": True})


def decode_for_detector(path: Path, image_size: int) -> np.ndarray:
    """Decode a JPEG strictly, at the smallest DCT scale still ≥ the model's size.

    EXIF orientation is applied (as MegaDetector's ``load_image`` does); a
    truncated file raises instead of decoding grey bottom rows.
    """
    with strict_decoding(), Image.open(path) as image:
        w, h = image.size
        scale = image_size / max(w, h)
        if scale < 1:
            image.draft("RGB", (int(w * scale) + 1, int(h * scale) + 1))
        image = ImageOps.exif_transpose(image).convert("RGB")
        return np.asarray(image)
