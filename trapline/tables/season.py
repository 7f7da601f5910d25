"""The season's tables: deployments, images, quarantine, detections, crops, species,
identities (see ``../shared/contracts.md``)."""

from __future__ import annotations

import pyarrow as pa

from trapline.tables.contract import TIMESTAMP, Column, Table

DEPLOYMENTS = Table(
    file="inventory/deployments.parquet",
    row="deployment: one stations-table row (a station, or a station × camera); "
    "the stations table read once, for every later stage",
    columns=(
        Column(
            "deployment_id",
            pa.string(),
            "`station`, or `station__camera` when the table has a `Camera` column",
        ),
        Column("station", pa.string(), "station"),
        Column("camera", pa.string(), "camera (null for a station-only row)"),
        Column("session", pa.string(), "stations table `Session`, else `1`"),
        Column("x", pa.float64(), "easting, projected metres"),
        Column("y", pa.float64(), "northing, projected metres"),
        Column("setup", TIMESTAMP, "`Setup_date` as written, local time"),
        Column("retrieval", TIMESTAMP, "`Retrieval_date` as written, local time"),
        Column(
            "window_start",
            TIMESTAMP,
            "first instant images count (a date-only setup: 00:00 that day)",
        ),
        Column(
            "window_end",
            TIMESTAMP,
            "instant after the last (a date-only retrieval: the end of that day)",
        ),
        Column(
            "problems",
            pa.string(),
            "periods the camera was not working, ISO 8601 `start/end` intervals "
            "separated by `;` (empty when none)",
        ),
        Column(
            "clock_offset_s",
            pa.float64(),
            "seconds added to the camera's clock (`Clock_offset`); the table's "
            "other columns follow as text (station covariates)",
        ),
    ),
)

INVENTORY = Table(
    file="inventory/accepted.parquet",
    row="image the inventory accepted (internal; `images.parquet` is final)",
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
        Column(
            "width",
            pa.int32(),
            "image width in pixels, upright (EXIF orientation applied)",
        ),
        Column("height", pa.int32(), "image height in pixels, upright"),
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
        Column(
            "tag_species",
            pa.string(),
            "species a person tagged in the image's keywords (config `tags`), "
            "`|`-separated; null if none",
        ),
        Column(
            "tag_individuals",
            pa.string(),
            "individuals a person tagged in the image's keywords, `|`-separated; "
            "null if none",
        ),
        Column(
            "folder_species",
            pa.string(),
            "the layout's `{species}` folder (`_` read as a blank); null without one",
        ),
    ),
)

IMAGES = Table(
    file="images.parquet",
    row="usable image",
    columns=INVENTORY.columns
    + (
        Column(
            "datetime_local",
            pa.string(),
            "`datetime` as local text `YYYY-MM-DD HH:MM:SS` (camtrapR's form), "
            "for readers that drop the time zone (R's nanoparquet shows UTC)",
        ),
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
    file="detect/shards/{shard}.parquet",
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
        "`sequence` (relabelled to its sequence's majority), `tag` (a person's "
        "keyword), `folder` (the layout's `{species}` folder) or `none`",
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
    file="crops/shards/{shard}.parquet",
    row="crop of one shard's animal box, before species labels (internal)",
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
            "individual), `review` (decided by a person) or `tag` (a person's "
            "keyword in the image, config `tags`)",
        ),
        Column("score", pa.float64(), "calibrated probability of the decision"),
        Column("flank", pa.string(), "`left`, `right` or `unknown`"),
        Column(
            "track_id",
            pa.string(),
            "the animal's track within its sequence "
            "(crops of one track share one decision)",
        ),
        Column(
            "cluster_id",
            pa.string(),
            "the identity before flank links and review merges (equal to "
            "`individual_id` unless two identities were found to be one animal)",
        ),
    ),
)
