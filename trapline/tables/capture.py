"""The capture stage's tables (``capture/``): camtrapR's names, secr's detectors."""

from __future__ import annotations

import pyarrow as pa

from trapline.tables.contract import TIMESTAMP, Column, Table

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
    Column(
        "DateTimeLocal",
        pa.string(),
        "local `DateTimeOriginal` as text, `YYYY-MM-DD HH:MM:SS` (as camtrapR "
        "writes it), for readers that drop the time zone (R's nanoparquet)",
    ),
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
