# Config checks and every helper the rules use. Nothing here runs a stage, and
# nothing here writes a file while the workflow is parsed: the season is walked
# and its shard manifests written when the DAG is built (the first input function
# that needs the shards), so `snakemake --lint` has no side effects. A dry run
# (`-n`) builds the DAG and so does write the manifests: they are the plan.
import shlex
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake_interface_executor_plugins.settings import DeploymentMethod
from snakemake.utils import validate

sys.path.insert(0, workflow.basedir)
from trapline.config import (
    ConfigError,
    check_config,
    check_season,
    load_schema,
    with_canonical_keys,
)
from trapline.inventory.layout import FolderLayout
from trapline.inventory.settings import InventorySettings
from trapline.inventory.shards import SKIPPED_FILE, ShardPlan, plan_season
from trapline.inventory.stations import StationsError, read_stations
from trapline.tables import (
    CAMERA_OPERATION,
    CAPTURE_HISTORY,
    CAPTURES,
    DETECTION_HISTORY,
    EFFORT,
    EXCLUDED_CAPTURES,
    OCCASIONS,
    TRAPS,
    CROP_BOXES,
    CROPS,
    DEPLOYMENTS,
    DETECTIONS,
    IDENTITIES,
    IMAGE_SUMMARY,
    IMAGES,
    INVENTORY,
    KEPT_DETECTIONS,
    QUARANTINE,
    RAW_DETECTIONS,
    SEQUENCES,
    SHARD_DETECTIONS,
    SPECIES_COUNTS,
)
from trapline.weights import (
    MODELS_DIR,
    WeightsError,
    megadetector_file,
    megadetector_weights,
)

# config/config.yaml is the config when no --configfile names another; it is never
# merged under one, so a key a user's file lacks is an error, not the template's
# value (a template timezone or target species would run silently).
if not workflow.config_settings.configfiles:

    configfile: "config/config.yaml"


try:
    check_config(config, load_schema(workflow.source_path("../config/schema.yaml")))
except ConfigError as err:
    raise WorkflowError(str(err)) from None
# camtrapR's names (tags.metadataIDTag, ...) become the keys they stand for before
# validate fills the defaults: a default beside an alias would be a second value.
config.update(with_canonical_keys(config))
validate(config, "../config/schema.yaml")


def result(name):
    """A path inside the configured results folder."""
    return str(Path(config["results"]) / name)


def table(contract):
    """Where a contracted table (trapline.tables) lies inside the results folder."""
    return result(contract.file)


def _sorted(value):
    """``value`` with every mapping's keys in sorted order."""
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    return value


def section(name, only=None):
    """A config section as a rule's settings parameter, keys sorted.

    Snakemake reruns a job when its parameters change, comparing them as text: a
    section whose keys a person merely reordered (or that YAML wrote sorted) must
    not rerun every shard. ``only``: the keys the rule uses, so that changing
    another (say `detect.batch_size`) does not rerun it; the stage's settings then
    hold the defaults for the rest, which it does not read.
    """
    keys = config[name] if only is None else only
    return _sorted({k: config[name][k] for k in keys})


def season_settings():
    """The top-level season keys (trapline.inventory.settings.InventorySettings)."""
    fields = InventorySettings.__dataclass_fields__
    return _sorted({k: config[k] for k in fields if k in config})


_SEASON = {}


def season_plan():
    """Check the season, walk it and bring the shard manifests up to date (once).

    Unchanged shards keep their manifest's timestamp, so their jobs do not rerun.
    None while the season folder does not exist yet (a simulated season before its
    first run): the inventory_plan checkpoint then plans after the simulation.
    """
    if "plan" in _SEASON:
        return _SEASON["plan"]
    try:
        check_season(config)
        if "simulate" not in config:  # a simulated table is checked when written
            settings = InventorySettings.from_config(config)
            read_stations(
                settings.stations,
                settings.timezone,
                settings.stations_columns,
                settings.stations_date_format,
            )
    except (ConfigError, StationsError) as err:
        raise WorkflowError(str(err)) from None
    root = Path(config["images_root"])
    if not root.is_dir():
        plan = None
    elif not workflow.is_main_process:
        # A cluster job reads the workflow again: it takes the manifests the main
        # process wrote instead of walking a million files once per job.
        manifests = sorted(Path(result("shards")).glob("*.tsv"))
        plan = ShardPlan({path.stem: [] for path in manifests})
    else:
        layout = FolderLayout.parse(config["layout"])
        max_images = config["shards"]["max_images"]
        plan = plan_season(root, layout, max_images, Path(result("shards")))
    _SEASON["plan"] = plan
    return plan


def shard_ids():
    """The season's shards: from the plan, else from the checkpoint."""
    plan = season_plan()
    if plan is not None:
        return plan.ids
    return Path(checkpoints.inventory_plan.get().output[0]).read_text().split()


def per_shard(pattern):
    """An input function: `pattern` (inside results) for every shard."""

    def inputs(wildcards):
        return expand(result(pattern), shard=shard_ids())

    return inputs


wildcard_constraints:
    shard=r"[^/]+",


def shard_manifest(wildcards):
    """A shard's manifest, written when the season is planned."""
    season_plan()
    return result(f"shards/{wildcards.shard}.tsv")


def stations_table(wildcards):
    """The stations table, checked with the season before any job runs."""
    season_plan()
    return config["stations"]


def inventory_inputs(wildcards):
    """Every shard's verdict, and what the season's walk skipped (written with
    the plan: unreadable folders, broken or duplicate links)."""
    return {
        "images": per_shard("inventory/shards/{shard}.parquet")(wildcards),
        "quarantine": per_shard("inventory/shards/{shard}.quarantine.parquet")(
            wildcards
        ),
        "skipped": result(f"shards/{SKIPPED_FILE}"),
    }


def season_inputs(wildcards):
    """The stations table, and the simulated season when the config asks for one."""
    inputs = {"stations": config["stations"]}
    if "simulate" in config:
        inputs["truth"] = simulated("truth/files.parquet")
    return inputs


def simulated(name):
    """A path inside the simulated season folder."""
    return str(Path(config["simulate"]["season"]) / name)


def detector_download():
    """Where fetch_models saves the detector; None when there is nothing to fetch
    (imported detections, or a .pt path of the user's own)."""
    detector = config["detect"]["detector"]
    if detector == "precomputed" or detector.endswith(".pt"):
        return None
    return str(MODELS_DIR / megadetector_file(detector))


def detector_weights(wildcards):
    """The MegaDetector checkpoint: found locally, or the file fetch_models makes."""
    detect = config["detect"]
    try:
        return str(megadetector_weights(detect["detector"], detect["weights"]))
    except WeightsError:
        if detect["weights"] or detector_download() is None:
            raise
        return detector_download()


def stage_quarantines(wildcards):
    """Every stage's quarantine table, in pipeline order."""
    return [
        result("inventory/quarantine.parquet"),
        result("detect/quarantine.parquet"),
        result("detect/privacy.parquet"),
    ] + per_shard("crops/shards/{shard}.quarantine.parquet")(wildcards)


def layout_pattern(wildcards):
    """The folder layout; a function so Snakemake leaves its {braces} alone."""
    return config["layout"]


def season_folder(wildcards, output):
    """The simulated season's folder, derived from where its truth table goes."""
    return str(Path(output.files).parent.parent)


def python_command(wildcards):
    """The Python that runs `python -m trapline…` commands.

    Under --software-deployment-method conda the rule's environment provides
    `python`; otherwise the interpreter running Snakemake, so `.venv/bin/snakemake`
    works without activating the environment first.
    """
    methods = workflow.deployment_settings.deployment_method
    if DeploymentMethod.CONDA in methods:
        return "python"
    return sys.executable


def results_folder_of_input(wildcards, input):
    """The results folder, derived from where the rule's first input lies."""
    return str(Path(input[0]).parent)


def results_folder_of_shard(wildcards, input):
    """The results folder, derived from the shard's input (<results>/<stage>/shards/…)."""
    return str(Path(input[0]).parents[2])


def embed_options(wildcards):
    """Command-line options of `python -m trapline.embed` from config `embed`."""
    embed = config["embed"]
    options = (
        f"--model {shlex.quote(embed['model'])} --batch-size {embed['batch_size']}"
    )
    if embed["weights"]:
        options += f" --weights {shlex.quote(embed['weights'])}"
    if embed["image_size"]:
        options += f" --image-size {int(embed['image_size'])}"
    return options


def fetch_targets(wildcards):
    """What `fetch_models` downloads: detector, backbone, SpeciesNet, as configured."""
    targets = [detector_download()] if detector_download() else []
    if config["embed"]["model"] and not config["embed"]["weights"]:
        targets.append(str(MODELS_DIR / "backbone.fetched"))
    species = config["species"]
    if (
        species["backend"] == "speciesnet"
        and not Path(species["speciesnet"]["model"]).is_dir()
    ):
        targets.append(str(MODELS_DIR / "speciesnet.fetched"))
    return targets


def species_inputs(wildcards):
    """The species rule's inputs: the embedding stores only for the fewshot backend."""
    inputs = {
        "images": table(INVENTORY),
        "summary": table(IMAGE_SUMMARY),
        "raw": table(RAW_DETECTIONS),
        "detections": table(KEPT_DETECTIONS),
        "crops": per_shard(CROP_BOXES.file)(wildcards),
    }
    if config["species"]["backend"] == "fewshot":
        inputs["crop_embeddings"] = per_shard("embed/crops/{shard}.parquet")(wildcards)
        inputs["reference_embeddings"] = result("embed/species_reference.parquet")
        inputs["reference"] = config["species"]["reference"]
    return inputs


def tagged_catalogue():
    """Whether identify.catalogue is a folder of tagged images to build a table of."""
    identify = config["identify"]
    return bool(identify["catalogue"]) and identify["catalogue_kind"] == "tagged"


def catalogue_source():
    """What identification reads as its catalogue: the configured folder or table,
    or the table rule `catalogue` builds from a folder of tagged images."""
    if tagged_catalogue():
        return result("catalogue/catalogue.csv")
    return config["identify"]["catalogue"]


def catalogue_files(wildcards):
    """A tagged catalogue's JPEGs: tagging an image again reruns its inventory."""
    from trapline.inventory.files import JPEG_EXTENSIONS, walk_season

    folder = Path(config["identify"]["catalogue"])
    files = walk_season(folder) if folder.is_dir() else []
    return [
        str(folder / f.path)
        for f in files
        if Path(f.path).suffix.lower() in JPEG_EXTENSIONS
    ]


def identify_inputs(wildcards):
    """The identify rule's inputs: embeddings and decisions only when configured."""
    inputs = {
        "crops": table(CROPS),
        "images": table(IMAGES),
        "catalogue": catalogue_source(),
    }
    if config["embed"]["model"]:
        inputs["crop_embeddings"] = per_shard("embed/crops/{shard}.parquet")(wildcards)
        inputs["catalogue_embeddings"] = result("embed/catalogue.parquet")
    if config["identify"]["decisions"]:
        inputs["decisions"] = config["identify"]["decisions"]
    return inputs


def review_inputs(wildcards):
    """The review rule's inputs: identification's outputs, the decisions applied."""
    inputs = {
        "identities": table(IDENTITIES),
        "candidates": rules.identify.output.candidates,
        "similar": rules.identify.output.similar,
        "crops": table(CROPS),
        "images": table(IMAGES),
        "catalogue": catalogue_source(),
    }
    if config["identify"]["decisions"]:
        inputs["decisions"] = config["identify"]["decisions"]
    return inputs


def capture_inputs(wildcards):
    """The capture rule's inputs: identities with a catalogue, truth when simulated."""
    inputs = {
        "images": table(IMAGES),
        "detections": table(DETECTIONS),
        "crops": table(CROPS),
        "deployments": table(DEPLOYMENTS),
    }
    if config["identify"]["catalogue"]:
        inputs["identities"] = table(IDENTITIES)
    if "simulate" in config:
        inputs["truth_individuals"] = simulated("truth/individuals.parquet")
        inputs["truth_detections"] = simulated("truth/detections.parquet")
    return inputs


def camtrap_dp_inputs(wildcards):
    """The Camtrap DP rule's inputs: identities only when there is a catalogue."""
    inputs = {
        "images": table(IMAGES),
        "detections": table(DETECTIONS),
        "crops": table(CROPS),
        "deployments": table(DEPLOYMENTS),
    }
    if config["identify"]["catalogue"]:
        inputs["identities"] = table(IDENTITIES)
    return inputs


def report_inputs(wildcards):
    """The report rule's inputs: summary tables, and identification's with a
    catalogue (the review folder for its queues)."""
    inputs = {
        "images": table(IMAGES),
        "quarantine": table(QUARANTINE),
        "deployments": table(DEPLOYMENTS),
        "sequences": table(SEQUENCES),
        "species_counts": table(SPECIES_COUNTS),
        "camera_operation": table(CAMERA_OPERATION),
        "traps": table(TRAPS),
        "detection_history": table(DETECTION_HISTORY),
        "captures": table(CAPTURES),
        "capture_history": table(CAPTURE_HISTORY),
        "occasions": table(OCCASIONS),
        "estimate": rules.capture.output.estimate,
    }
    if config["identify"]["catalogue"]:
        inputs["identities"] = table(IDENTITIES)
        inputs["calibration"] = rules.identify.output.calibration
        inputs["review"] = rules.review.output.folder
    return inputs


def camtrap_dp_settings(wildcards):
    """Config `camtrap_dp` and the stations' CRS (trapline.export.PackageMetadata)."""
    return _sorted(config["camtrap_dp"] | {"crs": config["stations_crs"]})


def final_outputs(rules):
    """The default target's inputs: every table and export the config switches on.

    Named from the rules themselves (`rules.<rule>.output`), so an output path is
    written once, in its rule.
    """
    outputs = [
        rules.account_images.output.images,
        rules.account_images.output.quarantine,
        *rules.species.output,
        rules.detect.output.sequences,
        *rules.capture.output,
        *rules.export_capture.output,
    ]
    if config["identify"]["catalogue"]:
        outputs += [
            rules.identify.output.identities,
            rules.review.output.folder,
        ]
        if "simulate" in config:
            outputs.append(rules.metrics.output[0])
        elif config["identify"]["truth"] == "tags":
            outputs.append(rules.metrics_tags.output[0])
    if config["stations_crs"]:
        outputs.append(rules.camtrap_dp.output.package)
    outputs.append(rules.report.output.index)
    return outputs
