# Config checks and every helper the rules use. Nothing here runs a stage.
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

sys.path.insert(0, workflow.basedir)
from trapline.config import ConfigError, check_config, load_schema

try:
    check_config(config, load_schema(workflow.source_path("../config/schema.yaml")))
except ConfigError as err:
    raise WorkflowError(str(err)) from None
validate(config, "../config/schema.yaml")


def result(name):
    """A path inside the configured results folder."""
    return str(Path(config["results"]) / name)


def season_inputs():
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
