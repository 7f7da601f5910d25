"""Config checks that speak to the person editing ``config.yaml``.

``snakemake.utils.validate`` fills defaults but reports a failure as a jsonschema
dump. Before it runs, :func:`check_config` walks the same schema and says which
key is wrong, what value it has, and what to write instead, then checks what a
schema cannot: that the time zone exists, the layout parses, the folders exist.
"""

from __future__ import annotations

import difflib
import zoneinfo
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from trapline.layout import FolderLayout, LayoutError
from trapline.stations import StationColumns


class ConfigError(ValueError):
    """The configuration cannot be run as it is."""


def load_schema(path: str | Path) -> dict[str, Any]:
    with open(path) as f:
        return yaml.safe_load(f)


def check_config(config: dict[str, Any], schema: dict[str, Any]) -> None:
    """Raise one :class:`ConfigError` listing every problem with ``config``.

    Args:
        config: the merged Snakemake config.
        schema: the parsed ``config/schema.yaml``.
    """
    validator = jsonschema.Draft202012Validator(schema)
    problems = [
        _explain(err, schema)
        for err in sorted(validator.iter_errors(config), key=lambda e: list(e.path))
    ]
    if not problems:
        problems = _semantic_problems(config)
    if problems:
        raise ConfigError(
            "config is not valid:\n" + "\n".join(f"  - {p}" for p in problems)
        )


def _explain(err: jsonschema.ValidationError, schema: dict[str, Any]) -> str:
    key = ".".join(str(p) for p in err.absolute_path)
    props = _subschema(schema, list(err.absolute_path))
    if err.validator == "required":
        missing = err.message.split("'")[1]
        full = f"{key}.{missing}" if key else missing
        hint = props.get("properties", {}).get(missing, {}).get("description", "")
        return f"missing key '{full}': {hint}".rstrip(": ")
    if err.validator == "additionalProperties":
        known = list(props.get("properties", {}))
        extra = [k for k in err.instance if k not in known]
        guesses = [difflib.get_close_matches(k, known, n=1) for k in extra]
        where = f" in '{key}'" if key else ""
        return "; ".join(
            f"unknown key '{k}'{where}"
            + (f": did you mean '{g[0]}'?" if g else f": known keys are {known}")
            for k, g in zip(extra, guesses, strict=True)
        )
    hint = props.get("description", "")
    return f"key '{key}' = {err.instance!r}: {err.message}" + (
        f". Expected: {hint}" if hint else ""
    )


def _subschema(schema: dict[str, Any], path: list[Any]) -> dict[str, Any]:
    node = schema
    for part in path:
        if isinstance(part, int):
            node = node.get("items", {})
        else:
            node = node.get("properties", {}).get(part, {})
    return node


def _semantic_problems(config: dict[str, Any]) -> list[str]:
    problems = []
    tz = config["timezone"]
    if tz not in zoneinfo.available_timezones():
        close = difflib.get_close_matches(tz, zoneinfo.available_timezones(), n=1)
        problems.append(
            f"key 'timezone' = {tz!r} is not an IANA time zone"
            + (f"; did you mean {close[0]!r}?" if close else "")
            + " (fixed offsets are written Etc/GMT-1 for UTC+1)"
        )
    try:
        FolderLayout.parse(config.get("layout", "{station}/{camera}"))
    except LayoutError as err:
        problems.append(str(err))
    detect = config.get("detect", {})
    if detect.get("detector") == "precomputed" and not detect.get("precomputed"):
        problems.append(
            "key 'detect.detector' = 'precomputed' needs 'detect.precomputed': the "
            "MegaDetector batch-output JSON to import"
        )
    problems += _species_problems(config)
    problems += _capture_problems(config)
    season = config.get("simulate", {}).get("season")
    if season is not None:
        for key, expected in (
            ("images_root", Path(season) / "images"),
            ("stations", Path(season) / "stations.csv"),
        ):
            if Path(config[key]) != expected:
                problems.append(
                    f"key '{key}' = {config[key]!r} but 'simulate.season' writes "
                    f"{str(expected)!r}; set '{key}: {expected}'"
                )
        return problems
    catalogue = config.get("identify", {}).get("catalogue")
    if catalogue and not Path(catalogue).exists():
        problems.append(
            f"key 'identify.catalogue' = {catalogue!r}: no such folder or file; point "
            "it at the known individuals (folder or CSV) or set it to null"
        )
    for key, is_ok, what in (
        ("images_root", Path.is_dir, "folder"),
        ("stations", Path.is_file, "file"),
    ):
        if not is_ok(Path(config[key])):
            problems.append(
                f"key '{key}' = {config[key]!r}: no such {what}; point it at the "
                f"season's {'image folder' if what == 'folder' else 'stations CSV'}"
            )
    return problems


def _species_problems(config: dict[str, Any]) -> list[str]:
    """The few-shot backend needs a backbone and a reference folder."""
    species = config.get("species", {})
    if species.get("backend") != "fewshot":
        return []
    problems = []
    if not config.get("embed", {}).get("model", "default"):
        problems.append(
            "key 'species.backend' = 'fewshot' labels crops by their embeddings but "
            "'embed.model' is null: name a timm model (e.g. "
            "vit_large_patch14_reg4_dinov2.lvd142m) or choose another backend"
        )
    reference = species.get("reference")
    if not reference or not Path(reference).is_dir():
        problems.append(
            f"key 'species.reference' = {reference!r}: the fewshot backend needs a "
            "folder of labelled images, <species>/*.jpg"
        )
    return problems


def _capture_problems(config: dict[str, Any]) -> list[str]:
    """What the schema cannot see in ``capture`` and ``stations_crs``."""
    from trapline.capture.settings import CaptureSettings

    problems = []
    try:
        CaptureSettings(**config.get("capture", {}))
    except (TypeError, ValueError) as err:
        problems.append(f"key 'capture': {err}")
    crs = config.get("stations_crs")
    if crs:
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            parsed = CRS.from_user_input(crs)
        except CRSError:
            problems.append(
                f"key 'stations_crs' = {crs!r} is not a coordinate reference system; "
                "write e.g. 'EPSG:32632' (UTM zone 32N)"
            )
        else:
            if not parsed.is_projected:
                problems.append(
                    f"key 'stations_crs' = {crs!r} is not projected: the stations "
                    "table's x/y are projected metres (e.g. a UTM zone, 'EPSG:32632')"
                )
    return problems


def station_columns(config: dict[str, Any]) -> StationColumns:
    """The stations-table column names from ``stations_columns``."""
    return StationColumns(**config.get("stations_columns", {}))
