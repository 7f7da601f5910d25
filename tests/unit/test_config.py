"""The config schema and the messages a person gets when a key is wrong."""

from pathlib import Path

import pytest
import yaml
from snakemake.utils import validate

from trapline.config import (
    ConfigError,
    check_config,
    check_season,
    load_schema,
    with_canonical_keys,
)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = load_schema(ROOT / "config/schema.yaml")


def merged(*files: str) -> dict:
    config: dict = {}
    for name in files:
        config.update(yaml.safe_load((ROOT / name).read_text()))
    return config


@pytest.mark.parametrize(
    "name", ["config/demo.yaml", "config/config.yaml", "tests/config/config.yaml"]
)
def test_shipped_configs_are_valid(name):
    """Snakemake's --configfile replaces the Snakefile's configfile: alone, valid."""
    check_config(merged(name), SCHEMA)


def test_template_config_names_missing_folders():
    """The file is valid (--lint reads it); its season is not on this machine."""
    with pytest.raises(ConfigError, match="key 'images_root' = '/data/lynx-2026"):
        check_season(merged("config/config.yaml"))


def demo() -> dict:
    return merged("config/demo.yaml")


@pytest.mark.parametrize(
    "change,message",
    [
        ({"timzone": "UTC"}, "unknown key 'timzone': did you mean 'timezone'"),
        ({"timezone": "Europe/Zurch"}, "did you mean 'Europe/Zurich'"),
        ({"timezone": 5}, "key 'timezone' = 5: 5 is not of type 'string'"),
        ({"layout": "{site}"}, "config key 'layout'"),
        ({"target_species": []}, "key 'target_species' = \\[\\]"),
        ({"images_root": "elsewhere"}, "key 'images_root' = 'elsewhere' but"),
        ({"detect": {"detector": "precomputed"}}, "needs 'detect.precomputed'"),
        ({"detect": {"detecter": "MDV5A"}}, "did you mean 'detector'"),
        ({"species": {"backend": "folders"}}, "names none: add \\{species\\}"),
        ({"tags": {"individual": ""}}, "key 'tags.individual'"),
        ({"tags": {"metadataIDTag": ""}}, "key 'tags.metadataIDTag'"),
        (
            {"tags": {"metadataSpeciesTag": "Art", "species": "Species"}},
            "'tags.metadataSpeciesTag' and 'tags.species' are both given.*keep one",
        ),
        (
            {"tags": {"metadataSpeciesTag": "ID", "metadataIDTag": "id"}},
            "'tags.species' and 'tags.individual' are both 'ID'",
        ),
    ],
)
def test_wrong_keys_are_named_with_value_and_fix(change, message):
    config = demo() | change
    with pytest.raises(ConfigError, match=message):
        check_config(config, SCHEMA)


def test_camtrapr_tag_names_are_accepted_and_become_the_keys():
    """The workflow maps them before Snakemake fills the defaults: ``individual``
    filled beside ``metadataIDTag`` would be a second value."""
    config = demo() | {
        "tags": {"metadataIDTag": "ID", "metadataHierarchyDelimitor": "/"}
    }
    check_config(config, SCHEMA)
    canonical = with_canonical_keys(config)
    assert canonical["tags"] == {"individual": "ID", "delimiter": "/"}
    assert config["tags"] == {"metadataIDTag": "ID", "metadataHierarchyDelimitor": "/"}
    validate(canonical, str(ROOT / "config/schema.yaml"))
    assert canonical["tags"] == {
        "individual": "ID",
        "delimiter": "/",
        "species": "Species",
        "flank": "Flank",
    }


def test_missing_key_is_named_with_its_meaning():
    config = demo()
    del config["timezone"]
    with pytest.raises(ConfigError, match="missing key 'timezone': IANA time zone"):
        check_config(config, SCHEMA)


def test_nested_unknown_key():
    config = demo()
    config["stations_columns"] = {"statoin": "Site"}
    with pytest.raises(ConfigError, match="'statoin' in 'stations_columns'.*'station'"):
        check_config(config, SCHEMA)
