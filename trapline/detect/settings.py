"""The detection settings: config ``detect`` (nested ``thresholds``) and ``privacy``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Thresholds:
    """Config ``detect.thresholds``: least confidence per category for a box."""

    animal: float = 0.2
    person: float = 0.2
    vehicle: float = 0.2

    def by_category(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class DetectSettings:
    """Config ``detect``.

    Args:
        detector: a MegaDetector model name, a ``.pt`` path, or ``precomputed``.
        weights: local checkpoint for a named model.
        precomputed: MegaDetector batch-output JSON to import.
        image_size: long side the model sees; MDv5 was trained at 1280.
        batch_size: images per forward pass on a GPU.
        min_conf: lowest confidence kept in the raw boxes, so thresholds can change
            without rerunning the model.
        thresholds: per category, least confidence for a box to count.
        save_every: images between saves of a shard's detections (resume point).
        sequence_gap_s: images of one deployment at most this far apart form a
            sequence.
    """

    detector: str = "MDV5A"
    weights: str | None = None
    precomputed: str | None = None
    image_size: int = 1280
    batch_size: int = 8
    min_conf: float = 0.005
    thresholds: Thresholds = field(default_factory=Thresholds)
    save_every: int = 200
    sequence_gap_s: float = 30.0


@dataclass(frozen=True)
class PrivacySettings:
    """Config ``privacy``.

    Args:
        drop_person_images: leave every image with a detected person out of all
            outputs (quarantined as ``person_privacy``).
    """

    drop_person_images: bool = False
