"""Every config section has one frozen Settings, whose defaults are the schema's.

Snakemake fills a section's defaults from ``config/schema.yaml``; code that builds
a Settings object outside the workflow (tests, benchmarks, a notebook) gets the
dataclass's defaults. The two must never drift apart (they once did:
``crop.min_conf`` was 0.5 in the package and 0.3 in the schema).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from trapline.capture import CaptureSettings
from trapline.config import ConfigError, load_schema, section_settings
from trapline.crop.cut import CropSettings
from trapline.detect.settings import DetectSettings, PrivacySettings, Thresholds
from trapline.embed import EmbedSettings
from trapline.export import PackageMetadata
from trapline.identify import IdentifySettings
from trapline.inventory.keywords import TagSettings
from trapline.inventory.settings import InventorySettings, ShardSettings
from trapline.review import ReviewSettings
from trapline.simulate.settings import SimulateSettings
from trapline.species.labels import SpeciesSettings

SCHEMA = load_schema(Path(__file__).resolve().parents[2] / "config/schema.yaml")

SECTIONS = {
    None: (InventorySettings, set()),
    "shards": (ShardSettings, set()),
    "tags": (TagSettings, set()),
    "detect": (DetectSettings, set()),
    "privacy": (PrivacySettings, set()),
    "crop": (CropSettings, set()),
    "species": (SpeciesSettings, set()),
    "embed": (EmbedSettings, {"threads", "device", "decode_workers"}),
    "identify": (
        IdentifySettings,
        {"target_species", "candidates_kept", "representatives", "local"},
    ),
    "review": (ReviewSettings, {"low", "high"}),
    "capture": (CaptureSettings, set()),
    "camtrap_dp": (PackageMetadata, {"crs"}),
    "simulate": (SimulateSettings, set()),
}
"""Config section → its Settings, and the fields that are not config keys (runtime
knobs such as threads, or a top-level key filled in by the workflow)."""

TOP_LEVEL_SECTIONS = {"results", "target_species"}
"""Top-level keys that are not the inventory's: read by the rules themselves."""


def default(field: dataclasses.Field):
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return dataclasses.MISSING


def plain(value):
    """Compare as the YAML would hold it (tuples are lists, Paths strings)."""
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def mismatches(cls, schema: dict, extra: set[str], where: str) -> list[str]:
    """Every difference between ``cls`` and the schema's ``properties``."""
    found = []
    properties = schema.get("properties", {})
    fields = {f.name: f for f in dataclasses.fields(cls)}
    aliases = getattr(cls, "ALIASES", {})
    for key, spec in properties.items():
        if where == "" and (key in SECTIONS or key in TOP_LEVEL_SECTIONS):
            continue
        name = f"{where}{key}"
        if key in aliases:
            # A default filled in beside its key would be a second value.
            if "default" in spec or aliases[key] not in properties:
                found.append(f"{name}: an alias of {aliases[key]!r} with a default")
            continue
        if key not in fields:
            found.append(f"{name}: in the schema, not in {cls.__name__}")
            continue
        value = default(fields[key])
        if dataclasses.is_dataclass(value) and spec.get("type") == "object":
            found += mismatches(type(value), spec, set(), f"{name}.")
            continue
        if "default" not in spec:
            if value is not dataclasses.MISSING:
                found.append(f"{name}: {cls.__name__} has a default, schema none")
            continue
        if plain(value) != spec["default"]:
            found.append(
                f"{name}: {cls.__name__} default {value!r}, schema {spec['default']!r}"
            )
    for name in fields:
        if name not in properties and name not in extra:
            found.append(f"{where}{name}: in {cls.__name__}, not in the schema")
    return found


@pytest.mark.parametrize("section", list(SECTIONS), ids=str)
def test_settings_defaults_are_the_schema_defaults(section):
    cls, extra = SECTIONS[section]
    schema = SCHEMA if section is None else SCHEMA["properties"][section]
    where = "" if section is None else f"{section}."
    assert mismatches(cls, schema, extra, where) == []


def test_every_section_has_its_settings():
    objects = {
        key
        for key, spec in SCHEMA["properties"].items()
        if spec.get("type") == "object" and key != "stations_columns"
    }
    assert objects == {s for s in SECTIONS if s is not None}


def test_the_check_sees_a_drift():
    @dataclasses.dataclass(frozen=True)
    class Drifted:
        min_conf: float = 0.5
        padding: float = 0.05
        quality: int = 95

    assert mismatches(Drifted, SCHEMA["properties"]["crop"], set(), "crop.") == [
        "crop.min_conf: Drifted default 0.5, schema 0.3"
    ]


def test_a_section_becomes_nested_frozen_settings():
    detect = section_settings(
        DetectSettings, {"thresholds": {"animal": 0.4}, "image_size": 640}
    )
    assert detect.thresholds == Thresholds(animal=0.4)
    assert detect.image_size == 640
    species = section_settings(SpeciesSettings, {"smoothing": {"enabled": False}})
    assert species.smoothing.enabled is False
    with pytest.raises(dataclasses.FrozenInstanceError):
        detect.image_size = 1280  # type: ignore[misc]


def test_an_unknown_key_is_named():
    with pytest.raises(ConfigError, match="CropSettings has no setting 'padd'"):
        section_settings(CropSettings, {"padd": 0.1})


def test_camtrapr_names_are_the_tags_keys():
    """A camtrapR user writes recordTable's argument names; they set the keys."""
    tags = section_settings(
        TagSettings,
        {"metadataIDTag": "ID", "metadataSpeciesTag": "art", "delimiter": "/"},
    )
    assert tags == TagSettings(species="art", individual="ID", delimiter="/")
    season = InventorySettings.from_config(
        {
            "images_root": "images",
            "stations": "stations.csv",
            "timezone": "UTC",
            "tags": {"metadataHierarchyDelimitor": ":"},
        }
    )
    assert season.tags == TagSettings(delimiter=":")


def test_an_alias_beside_its_key_is_named_with_the_fix():
    with pytest.raises(
        ConfigError,
        match="'tags.metadataIDTag' and 'tags.individual' are both given: "
        "metadataIDTag is camtrapR's name for 'tags.individual'; keep one",
    ):
        InventorySettings.from_config(
            {
                "images_root": "images",
                "stations": "stations.csv",
                "timezone": "UTC",
                "tags": {"metadataIDTag": "ID", "individual": "Individual"},
            }
        )
