# Config checks and every helper the rules use. Nothing here runs a stage.
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake_interface_executor_plugins.settings import DeploymentMethod
from snakemake.utils import validate

sys.path.insert(0, workflow.basedir)
from trapline.config import ConfigError, check_config, load_schema, station_columns
from trapline.layout import FolderLayout
from trapline.shards import ShardPlan, plan_season
from trapline.stations import StationsError, read_stations
from trapline.weights import (
    MODELS_DIR,
    WeightsError,
    megadetector_file,
    megadetector_weights,
)

try:
    check_config(config, load_schema(workflow.source_path("../config/schema.yaml")))
except ConfigError as err:
    raise WorkflowError(str(err)) from None
validate(config, "../config/schema.yaml")
if "simulate" not in config:  # a simulated table is checked when it is written
    try:
        read_stations(
            config["stations"],
            config["timezone"],
            station_columns(config),
            config["stations_date_format"],
        )
    except StationsError as err:
        raise WorkflowError(str(err)) from None


def result(name):
    """A path inside the configured results folder."""
    return str(Path(config["results"]) / name)


def season_plan():
    """Walk the season (once per run) and bring the shard manifests up to date.

    Unchanged shards keep their manifest's timestamp, so their jobs do not rerun.
    None while the season folder does not exist yet (a simulated season before its
    first run): the inventory_plan checkpoint then plans after the simulation.
    """
    root = Path(config["images_root"])
    if not root.is_dir():
        return None
    if not workflow.is_main_process:
        # A cluster job reads the workflow again: it takes the manifests the main
        # process wrote instead of walking a million files once per job.
        manifests = sorted(Path(result("shards")).glob("*.tsv"))
        return ShardPlan({path.stem: [] for path in manifests})
    layout = FolderLayout.parse(config["layout"])
    max_images = config["shards"]["max_images"]
    return plan_season(root, layout, max_images, Path(result("shards")))


SEASON_PLAN = season_plan()


def shard_ids():
    """The season's shards: from the parse-time plan, else from the checkpoint."""
    if SEASON_PLAN is not None:
        return SEASON_PLAN.ids
    return Path(checkpoints.inventory_plan.get().output[0]).read_text().split()


def per_shard(pattern):
    """An input function: `pattern` (inside results) for every shard."""

    def inputs(wildcards):
        return expand(result(pattern), shard=shard_ids())

    return inputs


wildcard_constraints:
    shard=r"[^/]+",


def season_inputs(wildcards):
    """The stations table, and the simulated season when the config asks for one."""
    inputs = {"stations": config["stations"]}
    if "simulate" in config:
        inputs["truth"] = simulated("truth/files.parquet")
    return inputs


def simulated(name):
    """A path inside the simulated season folder."""
    return str(Path(config["simulate"]["season"]) / name)


def get_final_outputs():
    return (
        [
            result(name)
            for name in (
                "images.parquet",
                "quarantine.parquet",
                "detections.parquet",
                "detections.json",
                "sequences.parquet",
                "crops.parquet",
                "species_counts.parquet",
            )
        ]
        + identify_outputs()
        + capture_outputs()
    )


def identify_outputs():
    """Identification outputs, when a catalogue is configured (+ truth metrics)."""
    if not config["identify"]["catalogue"]:
        return []
    outputs = [result("identities.parquet"), result("review/review.html")]
    if "simulate" in config:
        outputs.append(result("metrics.json"))
    return outputs


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
    ] + per_shard("crop/shards/{shard}.quarantine.parquet")(wildcards)


def inventory_inputs(wildcards):
    """The inventory's inputs: the stations table and every shard's probes."""
    return {
        "stations": config["stations"],
        "probes": per_shard("inventory/probes/{shard}.parquet")(wildcards),
    }


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
    options = f"--model {embed['model']} --batch-size {embed['batch_size']}"
    if embed["weights"]:
        options += f" --weights {embed['weights']}"
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
        "images": result("inventory/images.parquet"),
        "summary": result("detect/image_summary.parquet"),
        "raw": result("detect/raw.parquet"),
        "detections": result("detect/detections.parquet"),
        "crops": per_shard("crop/shards/{shard}.parquet")(wildcards),
    }
    if config["species"]["backend"] == "fewshot":
        inputs["crop_store"] = per_shard("embed/crops/{shard}.parquet")(wildcards)
        inputs["reference_store"] = result("embed/species_reference.parquet")
        inputs["reference"] = config["species"]["reference"]
    return inputs


def species_settings(wildcards):
    """Config `species` flattened into trapline.species.SpeciesSettings' fields."""
    species = config["species"]
    smoothing = species["smoothing"]
    return {
        "backend": species["backend"],
        "min_conf": species["min_conf"],
        "names": species["names"],
        "smoothing": smoothing["enabled"],
        "smoothing_min_votes": smoothing["min_votes"],
        "smoothing_keep_conf": smoothing["keep_conf"],
        "k": species["k"],
        "min_similarity": species["min_similarity"],
        "speciesnet_model": species["speciesnet"]["model"],
        "country": species["speciesnet"]["country"],
        "admin1_region": species["speciesnet"]["admin1_region"],
    }


def identify_inputs(wildcards):
    """The identify rule's inputs: embeddings and decisions only when configured."""
    inputs = {
        "crops": result("crops.parquet"),
        "images": result("images.parquet"),
        "catalogue": config["identify"]["catalogue"],
    }
    if config["embed"]["model"]:
        inputs["crop_store"] = per_shard("embed/crops/{shard}.parquet")(wildcards)
        inputs["ref_store"] = result("embed/catalogue.parquet")
    if config["identify"]["decisions"]:
        inputs["decisions"] = config["identify"]["decisions"]
    return inputs


def capture_outputs():
    """Capture histories and their exports; Camtrap DP when `stations_crs` is set."""
    tables = ("captures", "capture_history", "effort", "traps", "detection_history")
    outputs = [result(f"capture/{name}.parquet") for name in tables]
    outputs += [result("capture/estimate.json"), result("capture/mark.inp")]
    outputs += [result("capture/secr"), result("capture/occupancy")]
    if config["stations_crs"]:
        outputs.append(result("camtrap-dp/datapackage.json"))
    return outputs


def capture_inputs(wildcards):
    """The capture rule's inputs: identities with a catalogue, truth when simulated."""
    inputs = {
        "images": result("images.parquet"),
        "detections": result("detections.parquet"),
        "crops": result("crops.parquet"),
        "stations": config["stations"],
    }
    if config["identify"]["catalogue"]:
        inputs["identities"] = result("identities.parquet")
    if "simulate" in config:
        inputs["truth"] = simulated("truth/individuals.parquet")
        inputs["truth_boxes"] = simulated("truth/detections.parquet")
    return inputs


def camtrap_dp_inputs(wildcards):
    """The Camtrap DP rule's inputs: identities only when there is a catalogue."""
    inputs = {
        "images": result("images.parquet"),
        "detections": result("detections.parquet"),
        "crops": result("crops.parquet"),
        "stations": config["stations"],
    }
    if config["identify"]["catalogue"]:
        inputs["identities"] = result("identities.parquet")
    return inputs
