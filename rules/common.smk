# Config checks and every helper the rules use. Nothing here runs a stage.
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

sys.path.insert(0, workflow.basedir)
from trapline.config import ConfigError, check_config, load_schema, station_columns
from trapline.stations import StationsError, read_stations

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
    return [result("images.parquet"), result("quarantine.parquet")]


def layout_pattern(wildcards):
    """The folder layout; a function so Snakemake leaves its {braces} alone."""
    return config["layout"]


def season_folder(wildcards, output):
    """The simulated season's folder, derived from where its truth table goes."""
    return str(Path(output.files).parent.parent)
