"""Config checks that speak to the person editing ``config.yaml``.

``snakemake.utils.validate`` fills defaults but reports a failure as a jsonschema
dump. Before it runs, :func:`check_config` walks the same schema and says which
key is wrong, what value it has, and what to write instead, then checks what a
schema cannot: that the time zone exists, the layout parses, the folders exist.
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from trapline.inventory.layout import FolderLayout, LayoutError


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
    problems += _tags_problems(config)
    problems += _catalogue_problems(config)
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


def check_season(config: dict[str, Any]) -> None:
    """Raise one :class:`ConfigError` for every configured path that is missing.

    Kept apart from :func:`check_config` because it looks at the machine, not the
    file: the workflow calls it when it plans a run, so ``snakemake --lint`` can
    lint a config whose season is on another machine (the template's ``/data``
    paths). A simulated season is written by the run itself and is not checked.
    """
    if "simulate" in config:
        return
    problems = []
    identify = config.get("identify", {})
    catalogue = identify.get("catalogue")
    if catalogue and not Path(catalogue).exists():
        problems.append(
            f"key 'identify.catalogue' = {catalogue!r}: no such folder or file; point "
            "it at the known individuals (folder or CSV) or set it to null"
        )
    elif identify.get("catalogue_kind") == "tagged" and not Path(catalogue).is_dir():
        problems.append(
            f"key 'identify.catalogue' = {catalogue!r} is a file, but "
            "'identify.catalogue_kind' = 'tagged' reads a folder of tagged images: "
            "point it at the folder, or set 'catalogue_kind: references' for a table"
        )
    detections = identify.get("catalogue_detections")
    if detections and not Path(detections).is_file():
        problems.append(
            f"key 'identify.catalogue_detections' = {detections!r}: no such file; "
            "point it at the MegaDetector batch file of the catalogue's images"
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
    if problems:
        raise ConfigError(
            "config is not valid:\n" + "\n".join(f"  - {p}" for p in problems)
        )


def _tags_problems(config: dict[str, Any]) -> list[str]:
    """An alias given with its key, or two paths that are one (``tags``)."""
    from trapline.inventory.keywords import TagSettings

    try:
        section_settings(TagSettings, config.get("tags"), where="tags.")
    except (ConfigError, ValueError) as err:
        return [str(err)]
    return []


def _catalogue_problems(config: dict[str, Any]) -> list[str]:
    """A tagged catalogue needs a folder and something to find its animals."""
    identify = config.get("identify", {})
    if identify.get("catalogue_kind") != "tagged":
        return []
    if not identify.get("catalogue"):
        return [
            "key 'identify.catalogue_kind' = 'tagged' but 'identify.catalogue' is "
            "null: point it at the folder of tagged images"
        ]
    detector = config.get("detect", {}).get("detector")
    if detector == "precomputed" and not identify.get("catalogue_detections"):
        return [
            "key 'identify.catalogue_kind' = 'tagged' finds the animals in the "
            "catalogue's images, but 'detect.detector' = 'precomputed' imports the "
            "season's boxes only: set 'identify.catalogue_detections' to a "
            "MegaDetector batch file of the catalogue's images, or name a detector"
        ]
    return []


def _species_problems(config: dict[str, Any]) -> list[str]:
    """The few-shot backend needs a backbone and a reference folder; the folders
    backend a ``{species}`` folder in the layout."""
    species = config.get("species", {})
    layout = config.get("layout", "{station}/{camera}")
    if species.get("backend") == "folders" and "{species}" not in layout:
        return [
            f"key 'species.backend' = 'folders' reads the species from a folder, "
            f"but 'layout' = {layout!r} names none: add {{species}}, e.g. "
            "'{station}/{camera}/{species}', or choose another backend"
        ]
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


T = typing.TypeVar("T")


def resolve_aliases(
    cls: type, section: Mapping[str, Any] | None, where: str = ""
) -> dict[str, Any]:
    """``section`` with the other names ``cls.ALIASES`` accepts replaced by its
    own keys (``tags.metadataIDTag`` → ``tags.individual``).

    Users bring names from the tools they know (camtrapR's argument names); the
    settings, the schema's defaults and the rules' parameters know one name per
    setting, so an alias lives only until the section is read.

    Raises:
        ConfigError: an alias and the key it stands for are both given (they could
            disagree; naming both keys and which to keep).
    """
    aliases: Mapping[str, str] = getattr(cls, "ALIASES", {})
    out = dict(section or {})
    for alias, key in aliases.items():
        if alias not in out:
            continue
        if key in out:
            raise ConfigError(
                f"config keys '{where}{alias}' and '{where}{key}' are both given: "
                f"{alias} is camtrapR's name for '{where}{key}'; keep one of them"
            )
        out[key] = out.pop(alias)
    return out


def with_canonical_keys(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config with every alias replaced by its key (see :func:`resolve_aliases`).

    The workflow calls it after :func:`check_config` and before Snakemake fills the
    schema's defaults: filled in beside an alias, a default would be taken for a
    second value of the same setting.
    """
    from trapline.inventory.keywords import TagSettings

    out = dict(config)
    if isinstance(config.get("tags"), Mapping):
        out["tags"] = resolve_aliases(TagSettings, config["tags"], "tags.")
    return out


def section_settings(
    cls: type[T], section: Mapping[str, Any] | None, where: str = "", **extra: Any
) -> T:
    """A stage's frozen settings from its config section, as the section is.

    Every stage builds its settings this one way: the section's keys are the
    dataclass's fields, a nested section (``detect.thresholds``,
    ``species.smoothing``) becomes the nested dataclass its field names, and lists
    become tuples (frozen settings are hashable). ``extra`` fills fields that come
    from elsewhere (top-level keys such as ``target_species``, or the job's
    threads). Snakemake has already filled the schema's defaults; a key missing
    here takes the dataclass default, which a unit test keeps equal to the
    schema's. A dataclass's ``ALIASES`` (camtrapR's names for ``tags``) are
    mapped to its keys; ``where`` is the section's place in the config
    (``"tags."``), for messages.

    Raises:
        ConfigError: a key the settings do not know (a schema/code mismatch), or
            an alias given with the key it stands for.
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a settings dataclass")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in resolve_aliases(cls, section, where).items():
        if key not in fields:
            raise ConfigError(f"{cls.__name__} has no setting {key!r}")
        nested = _dataclass_in(hints[key])
        if nested is not None and isinstance(value, Mapping):
            value = section_settings(nested, value, where=f"{where}{key}.")
        elif isinstance(value, list):
            value = tuple(value)
        values[key] = value
    return cls(**values, **extra)


def _dataclass_in(hint: Any) -> type | None:
    """The dataclass a type hint names (``X`` or ``X | None``), else None."""
    if dataclasses.is_dataclass(hint):
        return hint
    for arg in typing.get_args(hint):
        if dataclasses.is_dataclass(arg):
            return arg
    return None
