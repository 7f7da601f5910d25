"""Files that a real card dump contains and the pipeline must reject, not crash on.

Each kind maps to the ``expected_reason`` the inventory/quarantine stage should
give: cut-off writes, zero-byte files, non-images with a .JPG name, videos,
images without a timestamp, a test shot from before setup, a fox photographed
after retrieval, and a folder for a station that is not in stations.csv.

The fox after retrieval exists because it is the hard case of
``outside_deployment``: the image is readable and really shows an animal (its
truth lists the box, so an imported MegaDetector run "sees" it), yet the
inventory sets it aside, and an animal in an image the inventory sets aside
must never be cropped, embedded or identified.  It is taken after retrieval,
so it sorts last in its camera folder and every other file keeps its name, and
it draws from a random stream of its own, so every other file keeps its bytes.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from trapline.simulate.animals import Actor
from trapline.simulate.deployment import Camera
from trapline.simulate.jpeg import ExifStamp
from trapline.simulate.plan import Shot, Truth, light_at, stamp_for
from trapline.simulate.population import FOX, HUMAN
from trapline.simulate.render import FrameSpec
from trapline.simulate.seeds import derive, stream
from trapline.simulate.settings import SeasonSettings
from trapline.simulate.shapes import Pose

REASONS = {
    "truncated": "truncated",
    "zero_byte": "empty_file",
    "not_image": "not_jpeg",
    "video": "unsupported",
    "no_exif": "no_timestamp",
    "outside_deployment": "outside_deployment",
    "unknown_station": "unknown_station",
}
UNKNOWN_STATION_KEY = 10_000
"""Background key of the stray ``ST99`` folder (real stations use 0..n-1)."""

_NOT_JPEG = b"Camera log\r\nBattery 87%\r\nSD card 61% full\r\n"
_VIDEO_HEADERS = {
    ".avi": b"RIFF\x10\x00\x00\x00AVI LIST",
    ".mp4": b"\x00\x00\x00\x18ftypmp42",
}


def payload(kind: str, extension: str) -> bytes:
    """Content of a file that is not rendered (zero-byte, text, video)."""
    if kind == "zero_byte":
        return b""
    if kind == "not_image":
        return _NOT_JPEG
    return _VIDEO_HEADERS[extension.lower()] + bytes(range(256)) * 8


def truncate(jpeg: bytes) -> bytes:
    """A JPEG cut in half, as when a card is pulled mid-write."""
    return jpeg[: len(jpeg) // 2]


def _operating_time(rng, camera: Camera) -> datetime:
    span = (camera.retrieval - camera.setup).total_seconds()
    while True:
        when = camera.setup + timedelta(seconds=int(rng.uniform(0, span)))
        if camera.is_operating(when):
            return when


def _empty_spec(settings: SeasonSettings, key: int, when: datetime, label: str, k: int):
    night, dimness = light_at(when, settings.difficulty)
    return FrameSpec(key, derive(settings.seed, "bad-frame", label, k), night, dimness)


def _animals_after_retrieval(
    settings: SeasonSettings, honest: list[Camera]
) -> list[Shot]:
    """A fox on an honest-clock camera the night after it was retrieved.

    Its own stream ("bad-animal"), so the other bad files draw what they did
    before this kind existed.
    """
    rng = stream(settings.seed, "bad-animal")
    near, far = settings.difficulty.distance_m
    shots = []
    for k in range(settings.bad_animal_outside_deployment):
        cam = honest[int(rng.integers(len(honest)))]
        day = cam.retrieval.date() + timedelta(days=1)
        minutes = int(rng.integers(21 * 60, 24 * 60))
        when = datetime.combine(
            day, time(minutes // 60, minutes % 60), cam.retrieval.tzinfo
        )
        night, _ = light_at(when, settings.difficulty)
        actor = Actor(
            "fox",
            derive(settings.seed, "bad-animal-look", k),
            str(rng.choice(["left", "right"])),
            float(rng.uniform(near, min(far, 6.0))),
            float(rng.uniform(0.3, 0.7)),
            Pose(phase=float(rng.uniform(0, 6.3)), night=night),
        )
        frame_seed = derive(settings.seed, "bad-animal-frame", k)
        truth = Truth("animal", FOX, None, None)
        shots.append(_outside_deployment(cam, when, actor, frame_seed, truth, settings))
    return shots


def _outside_deployment(
    cam: Camera,
    when: datetime,
    actor: Actor,
    frame_seed: int,
    truth: Truth,
    settings: SeasonSettings,
) -> Shot:
    """One rendered frame of ``actor`` taken outside ``cam``'s deployment window."""
    night, dimness = light_at(when, settings.difficulty)
    spec = FrameSpec(cam.station_index, frame_seed, night, dimness, (actor,))
    return Shot(
        cam.station,
        cam.camera,
        "outside_deployment",
        when,
        cam.extension,
        REASONS["outside_deployment"],
        stamp_for(cam, when),
        spec,
        (truth,),
        frame=0,
    )


def plan_bad_files(settings: SeasonSettings, cameras: list[Camera]) -> list[Shot]:
    """Shots for every bad file (named later with the good ones)."""
    rng = stream(settings.seed, "bad-files")
    counts = {
        "truncated": settings.bad_truncated,
        "zero_byte": settings.bad_zero_byte,
        "not_image": settings.bad_not_jpeg,
        "video": settings.bad_video,
        "no_exif": settings.bad_no_exif,
    }
    shots = []
    for kind, count in counts.items():
        for k in range(count):
            cam = cameras[int(rng.integers(len(cameras)))]
            when = _operating_time(rng, cam)
            ext = cam.extension
            if kind == "video":
                ext = (".AVI", ".MP4")[k % 2]
                ext = ext.lower() if cam.extension.islower() else ext
            rendered = kind in ("truncated", "no_exif")
            shots.append(
                Shot(
                    station=cam.station,
                    camera=cam.camera,
                    kind=kind,
                    when=when,
                    extension=ext,
                    expected_reason=REASONS[kind],
                    stamp=stamp_for(cam, when) if kind == "truncated" else None,
                    spec=_empty_spec(settings, cam.station_index, when, kind, k)
                    if rendered
                    else None,
                )
            )
    honest = [c for c in cameras if not c.clock_offset]
    for k in range(settings.bad_outside_deployment):
        cam = honest[int(rng.integers(len(honest)))]
        when = cam.setup - timedelta(days=1)
        actor = Actor(
            "person", k, str(rng.choice(["left", "right"])), 4.0, 0.5, Pose(1.0)
        )
        frame_seed = derive(settings.seed, "test-shot", k)
        truth = Truth("person", HUMAN, None, None)
        shots.append(_outside_deployment(cam, when, actor, frame_seed, truth, settings))
    shots += _animals_after_retrieval(settings, honest)
    for k in range(settings.bad_unknown_station):
        cam = cameras[0]
        when = _operating_time(rng, cam)
        stamp = ExifStamp(
            "RECONYX", "HF2X", f"H2X9999000{k}", when.strftime("%Y:%m:%d %H:%M:%S")
        )
        shots.append(
            Shot(
                "ST99",
                "A",
                "unknown_station",
                when,
                ".JPG",
                REASONS["unknown_station"],
                stamp,
                _empty_spec(settings, UNKNOWN_STATION_KEY, when, "st99", k),
            )
        )
    return shots
