"""Quarantine: why a file was set aside, and what a person can do about it.

A season is never failed by one bad file: the file is listed with a reason and the
run goes on, so every input file ends in exactly one of ``images.parquet`` and
``quarantine.parquet``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pandas as pd

from trapline.tables import IMAGE_SUMMARY, IMAGES, INVENTORY, QUARANTINE, local_text


class Reason(StrEnum):
    """Quarantine reason codes (stable: users filter on them in R)."""

    UNREADABLE_FOLDER = "unreadable_folder"
    BROKEN_LINK = "broken_link"
    DUPLICATE_LINK = "duplicate_link"
    UNSUPPORTED = "unsupported"
    OUTSIDE_LAYOUT = "outside_layout"
    UNKNOWN_STATION = "unknown_station"
    EMPTY_FILE = "empty_file"
    UNREADABLE = "unreadable"
    NOT_JPEG = "not_jpeg"
    TRUNCATED = "truncated"
    TOO_LARGE = "too_large"
    NO_TIMESTAMP = "no_timestamp"
    BAD_TIMESTAMP = "bad_timestamp"
    AMBIGUOUS_TIMESTAMP = "ambiguous_timestamp"
    OUTSIDE_DEPLOYMENT = "outside_deployment"
    DUPLICATE = "duplicate"
    DETECTOR_FAILED = "detector_failed"
    NOT_IN_PRECOMPUTED = "not_in_precomputed"
    PERSON_PRIVACY = "person_privacy"
    TAGGED_WITHOUT_ANIMAL = "tagged_without_animal"


FIXES: dict[Reason, str] = {
    Reason.UNREADABLE_FOLDER: "a folder under `images_root` could not be listed "
    "(permission denied, an I/O error: the detail says which), so its files are "
    "in no table; make it readable (`chmod -R a+rX`) or copy the card again, and "
    "rerun",
    Reason.BROKEN_LINK: "a symbolic link under `images_root` whose target is "
    "missing or a link loop (an unmounted drive, a moved card); mount or restore "
    "the target, or remove the link",
    Reason.DUPLICATE_LINK: "a symbolic link (or bind mount) to a folder or file "
    "the season already holds, or a link loop: its images are counted once, under "
    "the path the detail names; remove the link if that path is the wrong one "
    "(e.g. outside the layout)",
    Reason.UNSUPPORTED: "not a JPEG by extension (video, sidecar, system file); "
    "trapline reads still JPEGs only",
    Reason.OUTSIDE_LAYOUT: "the path does not match config `layout`; move the file "
    "into a station (and camera) folder or change `layout`",
    Reason.UNKNOWN_STATION: "the station/camera folder has no row in the stations "
    "table; add the row or rename the folder",
    Reason.EMPTY_FILE: "zero bytes (a failed card copy); copy it again from the card",
    Reason.UNREADABLE: "the file could not be opened or exiftool could not read it; "
    "check permissions and copy it again",
    Reason.NOT_JPEG: "named .jpg but its content is not a JPEG",
    Reason.TRUNCATED: "the JPEG ends early (no end-of-image marker and a strict "
    "decode fails); copy it again from the card",
    Reason.TOO_LARGE: "the JPEG header claims more pixels than PIL's "
    "decompression-bomb limit (89.5 megapixels; the detail gives the size): a "
    "damaged header or not a camera-trap image; copy it again from the card",
    Reason.NO_TIMESTAMP: "no EXIF DateTimeOriginal/CreateDate; trapline never falls "
    "back to the file's modification time",
    Reason.BAD_TIMESTAMP: "the EXIF time cannot be parsed (e.g. a reset clock "
    "`0000:00:00`)",
    Reason.AMBIGUOUS_TIMESTAMP: "the local time is ambiguous or does not exist at a "
    "daylight-saving change; set `timezone` to a fixed offset such as `Etc/GMT-1` "
    "if the cameras do not follow DST",
    Reason.OUTSIDE_DEPLOYMENT: "the corrected time is before setup or after "
    "retrieval; check `Setup_date`/`Retrieval_date` and `Clock_offset`",
    Reason.DUPLICATE: "the same bytes as an earlier file (by path, named in the "
    "detail), e.g. one card copied into two folders; the first copy is kept. "
    "Delete the extra copy, or fix the folder the card went into",
    Reason.DETECTOR_FAILED: "MegaDetector could not process the image (the detail "
    "says why); a precomputed file may mark it as failed",
    Reason.NOT_IN_PRECOMPUTED: "`detect.detector: precomputed` and the image is "
    "not in that file; run MegaDetector on it or use a file that covers the season",
    Reason.PERSON_PRIVACY: "a person was detected and `privacy.drop_person_images` "
    "is on: the image is left out of every export",
    Reason.TAGGED_WITHOUT_ANIMAL: "a person tagged an individual in the image's "
    "keywords (the detail names the tag) but the detector found no animal box in "
    "it, so the capture has nothing to stand on; look at the image: lower "
    "`detect.thresholds.animal` if the animal is there, else remove the tag",
}


@dataclass(frozen=True)
class Quarantined:
    """One file set aside: where, by which stage, and why."""

    path: str
    stage: str
    reason: Reason
    detail: str
    station: str | None = None
    camera: str | None = None


def merge_quarantine(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """One quarantine table from the stages' own, each file once (first stage wins)."""
    merged = pd.concat([f[QUARANTINE.names] for f in frames], ignore_index=True)
    merged = merged.drop_duplicates("path", keep="first")
    return merged.sort_values("path", ignore_index=True)


def quarantine_frame(items: list[Quarantined]) -> pd.DataFrame:
    """Rows for ``quarantine.parquet``, in the contract's column order."""
    if not items:
        return QUARANTINE.empty()
    frame = pd.DataFrame([item.__dict__ for item in items])
    frame["reason"] = frame["reason"].astype(str)
    return frame[QUARANTINE.names].sort_values("path", ignore_index=True)


def reasons_markdown() -> str:
    """The README's table of reasons (a test keeps the two equal)."""
    rows = [f"| `{reason.value}` | {FIXES[reason]} |" for reason in Reason]
    return "\n".join(["| reason | what it means, and the fix |", "|---|---|", *rows])


def _tagged_without_animal(
    images: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Set aside images with a tagged individual but no animal box: a person's
    identification must not vanish unseen, nor become a capture without a box."""
    if "tag_individuals" not in images:
        return images, QUARANTINE.empty()
    blank = images["tag_individuals"].notna() & (images["n_animals"].fillna(0) == 0)
    held = [
        Quarantined(
            row.path,
            "detect",
            Reason.TAGGED_WITHOUT_ANIMAL,
            f"keyword individual {row.tag_individuals!r}: no animal box above "
            "detect.thresholds.animal",
            row.station,
            None if pd.isna(row.camera) else row.camera,
        )
        for row in images[blank].itertuples()
    ]
    return images[~blank], quarantine_frame(held)


def close_books(
    inventory_in: Path,
    summary_in: Path,
    quarantines_in: list[Path],
    images_out: Path,
    quarantine_out: Path,
) -> None:
    """Write the final images and quarantine tables.

    Args:
        inventory_in: the inventory's images.
        summary_in: per-image detection summary.
        quarantines_in: every stage's quarantine table, in pipeline order (the
            first stage to set a file aside gives its reason).
    """
    quarantine = merge_quarantine([QUARANTINE.read(p) for p in quarantines_in])
    images = INVENTORY.read(inventory_in)
    images = images[~images["path"].isin(set(quarantine["path"]))]
    summary = IMAGE_SUMMARY.read(summary_in)
    lost = set(images["image_id"]) - set(summary["image_id"])
    if lost:
        raise RuntimeError(
            f"{len(lost)} images neither summarised nor quarantined, e.g. "
            f"{sorted(images.loc[images['image_id'].isin(lost), 'path'])[:3]}"
        )
    images = images.merge(summary, on="image_id", how="inner")
    images["datetime_local"] = local_text(images["datetime"])
    images, blank = _tagged_without_animal(images)
    quarantine = merge_quarantine([quarantine, blank])
    IMAGES.write(images.sort_values("path", ignore_index=True), images_out)
    QUARANTINE.write(quarantine, quarantine_out)
