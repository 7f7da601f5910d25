"""The output contract: every table trapline writes, its columns, types and meaning.

Users' R scripts depend on these names (see ``../shared/contracts.md``), so they live
in exactly one place. Writers go through :meth:`Table.write`, which refuses a frame
that lacks a contracted column or holds a naive timestamp, so a stage cannot drift
from the contract silently. The README's table reference is checked against this
module by a test.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

TIMESTAMP = "timestamp"
"""Marker type: a timezone-aware timestamp (ms) kept in the frame's own time zone."""


@dataclass(frozen=True)
class Column:
    """One contracted column: its name, Arrow type and what it means to a user."""

    name: str
    type: pa.DataType | str
    doc: str


@dataclass(frozen=True)
class Table:
    """A contracted table: where it is written, what a row is, and its columns.

    Columns beyond the contract are kept (the contract says "add columns freely"),
    after the contracted ones.
    """

    file: str
    row: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def empty(self) -> pd.DataFrame:
        """A frame with the contracted columns and no rows (typed where possible)."""
        return pd.DataFrame({name: pd.Series(dtype=object) for name in self.names})

    def to_arrow(self, frame: pd.DataFrame) -> pa.Table:
        """Cast ``frame`` to the contract, contracted columns first.

        Raises:
            ValueError: a contracted column is missing, or a timestamp is naive.
        """
        missing = [n for n in self.names if n not in frame.columns]
        if missing:
            raise ValueError(f"{self.file}: frame lacks contracted columns {missing}")
        extra = [c for c in frame.columns if c not in self.names]
        fields, arrays = [], []
        for col in self.columns:
            arrays.append(_column_array(self.file, col, frame[col.name]))
            fields.append(pa.field(col.name, arrays[-1].type))
        for name in extra:
            arrays.append(pa.array(frame[name], from_pandas=True))
            fields.append(pa.field(str(name), arrays[-1].type))
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields))

    def write(self, frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
        """Write ``frame`` as Parquet atomically (temp file + rename).

        Atomic so that a killed job never leaves a half-written table that a later
        run would take for finished output.
        """
        table = self.to_arrow(frame)
        write_atomic(Path(path), lambda tmp: pq.write_table(table, tmp))

    def read(self, path: str | os.PathLike[str]) -> pd.DataFrame:
        """Read a table written by :meth:`write` back into pandas."""
        return pq.read_table(path).to_pandas()


def write_atomic(path: Path, writer) -> None:
    """Call ``writer(tmp_path)`` then rename onto ``path`` in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        writer(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _column_array(table: str, col: Column, values: pd.Series) -> pa.Array:
    if col.type == TIMESTAMP:
        if not isinstance(values.dtype, pd.DatetimeTZDtype):
            if values.isna().all():
                return pa.array(values.astype("datetime64[ms, UTC]"))
            raise ValueError(f"{table}: column {col.name!r} must be timezone-aware")
        return pa.array(values.dt.as_unit("ms"))
    return pa.array(values, type=col.type, from_pandas=True)


INVENTORY = Table(
    file="inventory/images.parquet",
    row="image the inventory could read (internal; `images.parquet` is final)",
    columns=(
        Column("image_id", pa.string(), "stable id: a hash of `path`, same every run"),
        Column("path", pa.string(), "relative to `images_root`, `/` separators"),
        Column("station", pa.string(), "station, from the folder layout"),
        Column("camera", pa.string(), "camera, from the folder layout (null if none)"),
        Column(
            "deployment_id",
            pa.string(),
            "the stations-table row: `station` or `station__camera`",
        ),
        Column(
            "datetime",
            TIMESTAMP,
            "corrected time: EXIF time + the deployment's "
            "clock offset, in the configured time zone",
        ),
        Column(
            "datetime_exif",
            TIMESTAMP,
            "the camera's clock as read from EXIF, before any correction",
        ),
        Column(
            "timestamp_source",
            pa.string(),
            "the EXIF tags the time came from, "
            "e.g. `DateTimeOriginal+SubSecTimeOriginal`",
        ),
        Column(
            "clock_offset_s",
            pa.float64(),
            "seconds added to the camera's clock (stations table `Clock_offset`)",
        ),
        Column("make", pa.string(), "EXIF Make"),
        Column("model", pa.string(), "EXIF Model"),
        Column("serial", pa.string(), "camera serial number (EXIF or maker notes)"),
        Column("width", pa.int32(), "image width in pixels"),
        Column("height", pa.int32(), "image height in pixels"),
        Column(
            "trigger_mode",
            pa.string(),
            "maker-note trigger mode as the camera codes it, where exiftool "
            "exposes it, e.g. Reconyx `M` (motion) or `T` (time lapse)",
        ),
        Column(
            "sequence",
            pa.string(),
            "maker-note position in the burst, as the camera codes it",
        ),
        Column("temperature_c", pa.float64(), "maker-note ambient temperature, °C"),
        Column("file_size", pa.int64(), "bytes"),
        Column(
            "file_mtime",
            TIMESTAMP,
            "file modification time (for caches only, never used as the image time)",
        ),
    ),
)

IMAGES = Table(
    file="images.parquet",
    row="usable image",
    columns=INVENTORY.columns
    + (
        Column("sequence_id", pa.string(), "the image's sequence (see `sequences`)"),
        Column("is_empty", pa.bool_(), "no box above its category's threshold"),
        Column("n_animals", pa.int32(), "animal boxes above the threshold"),
        Column("n_persons", pa.int32(), "person boxes above the threshold"),
        Column("n_vehicles", pa.int32(), "vehicle boxes above the threshold"),
    ),
)

IMAGE_SUMMARY = Table(
    file="detect/image_summary.parquet",
    row="image that went through detection (internal, joined into `images`)",
    columns=(Column("image_id", pa.string(), "the image"),) + IMAGES.columns[-5:],
)

RAW_DETECTIONS = Table(
    file="detect/raw.parquet",
    row="box from the detector down to `min_conf` (internal)",
    columns=(
        Column("image_id", pa.string(), "the image"),
        Column("det_index", pa.int32(), "box number within the image, by confidence"),
        Column("category", pa.string(), "`animal`, `person` or `vehicle`"),
        Column("conf", pa.float64(), "detector confidence"),
        Column("bbox_x", pa.float64(), "left edge, fraction of image width"),
        Column("bbox_y", pa.float64(), "top edge, fraction of image height"),
        Column("bbox_w", pa.float64(), "width, fraction of image width"),
        Column("bbox_h", pa.float64(), "height, fraction of image height"),
        Column("detector", pa.string(), "model file, or the imported JSON's name"),
        Column(
            "classifier_species",
            pa.string(),
            "the species classifier's top label for the box, as it gave it "
            "(null where none classified it)",
        ),
        Column("classifier_conf", pa.float64(), "the classifier's probability"),
    ),
)

SHARD_DETECTIONS = Table(
    file="detect/shards/<shard>.parquet",
    row="box of one shard's image, or the image alone when it has no box or "
    "failed (internal; the per-image detection cache)",
    columns=(
        Column("path", pa.string(), "image, relative to `images_root`"),
        Column("size", pa.int64(), "file size when detected (cache key)"),
        Column("mtime_ns", pa.int64(), "file mtime when detected (cache key)"),
        Column("detector_id", pa.string(), "model and settings (cache key)"),
        Column("failure_reason", pa.string(), "quarantine reason, if it failed"),
        Column("failure_detail", pa.string(), "what went wrong"),
    )
    + tuple(
        c
        if c.name != "det_index"
        else Column(
            "det_index", pa.int32(), "box number; null for an image without boxes"
        )
        for c in RAW_DETECTIONS.columns
    ),
)

KEPT_DETECTIONS = Table(
    file="detect/detections.parquet",
    row="box above its category's threshold, before species labels (internal)",
    columns=RAW_DETECTIONS.columns,
)

SPECIES_COLUMNS = (
    Column(
        "species",
        pa.string(),
        "species label (names mapped by `species.names`); `unknown` where no "
        "backend was confident enough; null for people and vehicles",
    ),
    Column(
        "species_conf",
        pa.float64(),
        "probability of that label (null for `unknown`)",
    ),
    Column(
        "species_source",
        pa.string(),
        "where the label came from: `imported`, `fewshot`, `speciesnet`, "
        "`sequence` (relabelled to its sequence's majority) or `none`",
    ),
)

DETECTIONS = Table(
    file="detections.parquet",
    row="detector box above its category's threshold",
    columns=RAW_DETECTIONS.columns + SPECIES_COLUMNS,
)

SEQUENCES = Table(
    file="sequences.parquet",
    row="sequence: images of one deployment no more than `sequence_gap_s` apart",
    columns=(
        Column(
            "sequence_id",
            pa.string(),
            "`deployment_id:YYYYMMDDTHHMMSS` of its "
            "first image; stable when new cards arrive",
        ),
        Column("deployment_id", pa.string(), "the deployment"),
        Column("station", pa.string(), "station"),
        Column("camera", pa.string(), "camera"),
        Column("start", TIMESTAMP, "first image's corrected time"),
        Column("end", TIMESTAMP, "last image's corrected time"),
        Column("n_images", pa.int32(), "images in the sequence"),
        Column("max_animals", pa.int32(), "most animals in one image: the count"),
        Column("has_person", pa.bool_(), "a person in any image"),
        Column("has_vehicle", pa.bool_(), "a vehicle in any image"),
    ),
)

CROP_BOXES = Table(
    file="crop/crops.parquet",
    row="crop of an animal box, before species labels (internal)",
    columns=(
        Column("crop_id", pa.string(), "`image_id-det_index`"),
        Column("image_id", pa.string(), "the image"),
        Column("det_index", pa.int32(), "the box within the image"),
        Column("crop_path", pa.string(), "JPEG, relative to the results folder"),
        Column("bbox_x", pa.float64(), "detector box, as in `detections.parquet`"),
        Column("bbox_y", pa.float64(), "detector box"),
        Column("bbox_w", pa.float64(), "detector box"),
        Column("bbox_h", pa.float64(), "detector box"),
        Column("conf", pa.float64(), "detector confidence"),
        Column(
            "crop_left",
            pa.int32(),
            "crop's left edge in the full image, pixels (box plus padding)",
        ),
        Column("crop_top", pa.int32(), "crop's top edge, pixels"),
        Column("crop_width", pa.int32(), "crop width, pixels"),
        Column("crop_height", pa.int32(), "crop height, pixels"),
    ),
)

CROPS = Table(
    file="crops.parquet",
    row="crop of an animal box",
    columns=CROP_BOXES.columns + SPECIES_COLUMNS,
)

SPECIES_COUNTS = Table(
    file="species_counts.parquet",
    row="image or sequence × species: how many animals of that species",
    columns=(
        Column("level", pa.string(), "`image` or `sequence`"),
        Column("id", pa.string(), "the `image_id` or `sequence_id`"),
        Column("species", pa.string(), "species label, `unknown` included"),
        Column(
            "count",
            pa.int32(),
            "animals of that species in the image; for a sequence the most in "
            "any one of its images",
        ),
    ),
)

QUARANTINE = Table(
    file="quarantine.parquet",
    row="file that could not be used",
    columns=(
        Column("path", pa.string(), "relative to `images_root`"),
        Column(
            "stage",
            pa.string(),
            "the stage that set it aside, e.g. `inventory`, `exif`",
        ),
        Column("reason", pa.string(), "a code from the quarantine reasons list"),
        Column("detail", pa.string(), "what exactly was wrong, for a person"),
        Column("station", pa.string(), "station if the layout gave one"),
        Column("camera", pa.string(), "camera if the layout gave one"),
    ),
)

IDENTITIES = Table(
    file="identities.parquet",
    row="crop of a target species",
    columns=(
        Column("crop_id", pa.string(), "the crop"),
        Column(
            "individual_id",
            pa.string(),
            "a catalogue individual, a name given in "
            "review, or a provisional `NEW0001`… kept stable across reruns",
        ),
        Column("is_new", pa.bool_(), "not a catalogue individual"),
        Column(
            "source",
            pa.string(),
            "`catalogue` (matched), `auto` (clustered new "
            "individual) or `review` (decided by a person)",
        ),
        Column("score", pa.float64(), "calibrated probability of the decision"),
        Column("flank", pa.string(), "`left`, `right` or `unknown`"),
        Column(
            "track_id",
            pa.string(),
            "the animal's track within its sequence "
            "(crops of one track share one decision)",
        ),
    ),
)

CAPTURE_EVENT_COLUMNS = (
    Column("Station", pa.string(), "station (camtrapR `Station`)"),
    Column("Species", pa.string(), "scientific name (camtrapR `Species`)"),
    Column(
        "Individual",
        pa.string(),
        "the individual, as in `identities.parquet` (camtrapR `Individual`)",
    ),
    Column(
        "DateTimeOriginal",
        TIMESTAMP,
        "corrected time of the event's first record (camtrapR keeps it as text)",
    ),
    Column("Date", pa.date32(), "local date of `DateTimeOriginal`"),
    Column("Time", pa.string(), "local time of day, `HH:MM:SS`"),
)

CAPTURES = Table(
    file="capture/captures.parquet",
    row="independent capture event of an identified individual "
    "(camtrapR `recordTableIndividual`)",
    columns=CAPTURE_EVENT_COLUMNS
    + (
        Column(
            "delta.time.secs",
            pa.float64(),
            "seconds since the previous independent record of this individual "
            "here (or previous record, per `delta_time_compared_to`); 0 for the "
            "first",
        ),
        Column("delta.time.mins", pa.float64(), "the same in minutes (1 decimal)"),
        Column("delta.time.hours", pa.float64(), "the same in hours (1 decimal)"),
        Column("delta.time.days", pa.float64(), "the same in days (1 decimal)"),
        Column(
            "Directory", pa.string(), "folder of the first image, under `images_root`"
        ),
        Column("FileName", pa.string(), "file name of the first image"),
        Column(
            "n_images",
            pa.int32(),
            "images of the event: this record and the dependent ones after it",
        ),
        Column(
            "Occasion",
            pa.int32(),
            "occasion in the history, 1…K (see `capture/occasions.parquet`)",
        ),
        Column("Session", pa.string(), "session (stations table `Session`, else `1`)"),
        Column(
            "Flank", pa.string(), "`left`, `right`, `both` or `unknown`: flanks seen"
        ),
        Column("Camera", pa.string(), "camera of the first record"),
        Column(
            "Cameras",
            pa.string(),
            "every camera that recorded the event, separated by vertical bars",
        ),
        Column("DateTimeLast", TIMESTAMP, "time of the event's last record"),
        Column(
            "calendar_occasion",
            pa.int32(),
            "occasion counted from day 1, gaps included",
        ),
        Column("deployment_id", pa.string(), "deployment of the first record"),
        Column("image_id", pa.string(), "first image"),
        Column("crop_id", pa.string(), "crop of the first record"),
        Column("is_new", pa.bool_(), "not a catalogue individual"),
        Column(
            "source", pa.string(), "`catalogue`, `auto` or `review`, as in identities"
        ),
        Column("score", pa.float64(), "identification probability of the first record"),
    ),
)

CAPTURE_HISTORY = Table(
    file="capture/capture_history.parquet",
    row="individual (per session)",
    columns=(
        Column("Session", pa.string(), "session"),
        Column("Individual", pa.string(), "the individual"),
        Column("Species", pa.string(), "its species"),
        Column(
            "ch",
            pa.string(),
            "MARK encounter history: one 0/1 per occasion of the session",
        ),
        Column("n_captures", pa.int32(), "capture events"),
        Column("n_occasions", pa.int32(), "occasions with at least one capture"),
        Column("n_stations", pa.int32(), "stations it was captured at"),
        Column("first_occasion", pa.int32(), "first occasion it was captured on"),
    ),
)

EFFORT = Table(
    file="capture/effort.parquet",
    row="station × occasion in the history",
    columns=(
        Column("Session", pa.string(), "session"),
        Column("Station", pa.string(), "station (the secr detector)"),
        Column("Occasion", pa.int32(), "occasion, 1…K"),
        Column("start", TIMESTAMP, "the occasion's first instant at this station"),
        Column("end", TIMESTAMP, "the instant after its last"),
        Column(
            "effort",
            pa.float64(),
            "days the station worked (camera-days when cameras are independent); "
            "NA: not set up, 0: set up but not working",
        ),
        Column("cameras_set_up", pa.int32(), "most cameras set up on one of its days"),
    ),
)

TRAPS = Table(
    file="capture/traps.parquet",
    row="station (the secr detector), per session",
    columns=(
        Column("Session", pa.string(), "session"),
        Column("Detector", pa.string(), "station name"),
        Column("x", pa.float64(), "easting, projected metres (stations table)"),
        Column("y", pa.float64(), "northing, projected metres"),
        Column(
            "n_cameras",
            pa.int32(),
            "cameras at the station; the stations table's other columns follow "
            "as covariates",
        ),
    ),
)

OCCASIONS = Table(
    file="capture/occasions.parquet",
    row="calendar occasion of a session, including those left out",
    columns=(
        Column("Session", pa.string(), "session"),
        Column("calendar_occasion", pa.int32(), "occasion counted from day 1"),
        Column(
            "Occasion",
            pa.int32(),
            "its number in the histories; null when left out (no station worked)",
        ),
        Column(
            "start", TIMESTAMP, "first instant (earliest station with `day1: station`)"
        ),
        Column("end", TIMESTAMP, "instant after the last"),
        Column("days", pa.float64(), "length in days"),
        Column("effort", pa.float64(), "effort summed over stations"),
        Column("stations_operating", pa.int32(), "stations with effort > 0"),
        Column("in_history", pa.bool_(), "part of the histories and exports"),
    ),
)

CAMERA_OPERATION = Table(
    file="capture/camera_operation.parquet",
    row="station × day (camtrapR `cameraOperation`, by station)",
    columns=(
        Column("Session", pa.string(), "session"),
        Column("Station", pa.string(), "station"),
        Column("Date", pa.date32(), "local day (beginning at `occasion_start_hour`)"),
        Column("day_start", TIMESTAMP, "the day's first instant"),
        Column("day_end", TIMESTAMP, "the instant after its last"),
        Column(
            "effort",
            pa.float64(),
            "fraction of the day worked (summed over cameras when independent); "
            "NA: not set up, 0: not working",
        ),
        Column("cameras_set_up", pa.int32(), "cameras set up for part of the day"),
    ),
)

EXCLUDED_CAPTURES = Table(
    file="capture/excluded.parquet",
    row="capture event kept out of the histories",
    columns=(
        Column(
            "record_type",
            pa.string(),
            "`individual` (captures) or `species` (occupancy)",
        ),
        Column(
            "reason",
            pa.string(),
            "`not_set_up`, `camera_not_operating`, `other_flank`, "
            "`outside_occasions` or `no_effort`",
        ),
        Column("Session", pa.string(), "session"),
    )
    + CAPTURE_EVENT_COLUMNS
    + (
        Column("Camera", pa.string(), "camera of the first record"),
        Column("n_images", pa.int32(), "images of the event"),
        Column("deployment_id", pa.string(), "deployment of the first record"),
        Column("image_id", pa.string(), "first image"),
    ),
)

DETECTION_HISTORY = Table(
    file="capture/detection_history.parquet",
    row="species × station × occasion (camtrapR `detectionHistory`, long)",
    columns=(
        Column("Session", pa.string(), "session"),
        Column(
            "Species",
            pa.string(),
            "species of animal boxes; `unknown` for boxes without a label",
        ),
        Column("Station", pa.string(), "station"),
        Column("Occasion", pa.int32(), "occasion, as in `effort.parquet`"),
        Column("effort", pa.float64(), "the station's effort on the occasion"),
        Column("detected", pa.int8(), "1 recorded, 0 not recorded, NA no effort"),
        Column("n_events", pa.int32(), "independent events, NA where no effort"),
    ),
)

CAPTURE_TABLES: tuple[Table, ...] = (
    CAPTURES,
    CAPTURE_HISTORY,
    EFFORT,
    TRAPS,
    OCCASIONS,
    CAMERA_OPERATION,
    EXCLUDED_CAPTURES,
    DETECTION_HISTORY,
)
"""The capture stage's tables (``capture/``)."""


ALL_TABLES: tuple[Table, ...] = (
    IMAGES,
    QUARANTINE,
    DETECTIONS,
    SEQUENCES,
    CROPS,
    SPECIES_COUNTS,
    IDENTITIES,
    *CAPTURE_TABLES,
)
"""The tables users read (the README documents each)."""


def markdown(table: Table) -> str:
    """The README's reference block for one table (a test keeps the two equal)."""
    lines = [
        f"### `{table.file}`: one row per {table.row}",
        "",
        "| column | type | meaning |",
        "|---|---|---|",
    ]
    for col in table.columns:
        kind = "timestamp, tz-aware" if col.type == TIMESTAMP else str(col.type)
        lines.append(f"| `{col.name}` | {kind} | {col.doc} |")
    return "\n".join(lines)
