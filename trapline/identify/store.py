"""Season crops' features held on disk, read back a batch at a time.

The features of 10^5 crops (up to 600 RootSIFT descriptors each) are tens of GB
as float32, more than a workstation's memory. So with a feature cache they are
computed once, written, and only each crop's key and keypoint count stay in
memory; the shortlist, the verification and the clustering of new animals read
back the batch they need. Without a cache folder (tests, a quick look) nothing
can be read back, so everything stays in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from trapline.identify.background import BackgroundKey
from trapline.identify.features import crop_features
from trapline.identify.localfeatures import Features, FeatureSettings
from trapline.identify.progress import Progress


class CropStore:
    """Features of ``crops``: computed on creation, then read back by crop id.

    Args:
        crops, images, crops_root, backgrounds, settings, cache: as for
            :func:`~trapline.identify.features.crop_features`.
        batch: crops per read (and per progress step).
        workers: threads computing features.
    """

    def __init__(
        self,
        crops: pd.DataFrame,
        images: pd.DataFrame,
        crops_root: Path,
        backgrounds: dict[BackgroundKey, np.ndarray],
        settings: FeatureSettings,
        cache: Path | None = None,
        batch: int = 256,
        workers: int = 1,
    ) -> None:
        self.crops = crops.set_index("crop_id", drop=False)
        self.images = images
        deployment = images.set_index("image_id")["deployment_id"].astype(str)
        self._deployment = deployment.reindex(crops["image_id"]).to_numpy()
        self._row = {c: k for k, c in enumerate(crops["crop_id"])}
        self.crops_root, self.backgrounds = crops_root, backgrounds
        self.settings, self.cache, self.batch = settings, cache, batch
        self.workers = workers
        self.keys: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        self._held: dict[str, Features] | None = None if cache else {}
        progress = Progress("features", len(crops), "crops")
        for feats in self.batches(list(crops["crop_id"])):
            for crop_id, found in feats.items():
                self.keys[crop_id] = found.key
                self.sizes[crop_id] = len(found)
            if self._held is not None:
                self._held.update(feats)
            progress.advance(len(feats))
        progress.finish()

    @classmethod
    def of(cls, features: dict[str, Features], batch: int = 256) -> CropStore:
        """A store of features already in memory (tests, benchmarks)."""
        store = cls.__new__(cls)
        store.batch, store.workers = batch, 1
        store._held = dict(features)
        store.keys = {c: f.key for c, f in features.items()}
        store.sizes = {c: len(f) for c, f in features.items()}
        return store

    def __len__(self) -> int:
        return len(self.keys)

    def load(self, crop_ids: list[str]) -> dict[str, Features]:
        """Features of ``crop_ids``, read back (recomputed if a file went missing)."""
        if self._held is not None and all(c in self._held for c in crop_ids):
            return {c: self._held[c] for c in crop_ids}
        rows = [self._row[c] for c in crop_ids]
        wanted = set(self._deployment[rows])
        backgrounds = {k: v for k, v in self.backgrounds.items() if k[0] in wanted}
        return crop_features(
            self.crops.iloc[rows],
            self.images,
            self.crops_root,
            backgrounds,
            self.settings,
            self.cache,
            self.workers,
        )

    def batches(self, crop_ids: list[str]) -> Iterator[dict[str, Features]]:
        """Features of ``crop_ids`` in order, ``batch`` crops at a time."""
        for start in range(0, len(crop_ids), self.batch):
            yield self.load(crop_ids[start : start + self.batch])
