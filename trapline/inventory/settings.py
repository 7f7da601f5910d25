"""The inventory's settings: the season's top-level config keys and ``shards``."""

from __future__ import annotations

from dataclasses import dataclass, field

from trapline.inventory.keywords import TagSettings
from trapline.inventory.layout import FolderLayout
from trapline.inventory.stations import StationColumns


@dataclass(frozen=True)
class InventorySettings:
    """Config's top-level season keys: where the images are, how to read them.

    Args:
        images_root: the season's image folder.
        stations: the stations table (camtrapR CTtable CSV).
        timezone: IANA zone the camera clocks were set to.
        layout: where station and camera sit in a path, e.g. ``{station}/{camera}``.
        stations_columns: the stations table's column names.
        stations_date_format: strptime format of its dates (None: ISO 8601).
        stations_crs: the CRS of its x/y (only the Camtrap DP export needs it).
        tags: the keyword paths that carry species and individuals.
    """

    images_root: str
    stations: str
    timezone: str
    layout: str = "{station}/{camera}"
    stations_columns: StationColumns = field(default_factory=StationColumns)
    stations_date_format: str | None = None
    stations_crs: str | None = None
    tags: TagSettings = field(default_factory=TagSettings)

    @property
    def folder_layout(self) -> FolderLayout:
        return FolderLayout.parse(self.layout)

    @classmethod
    def from_config(cls, config: dict) -> InventorySettings:
        """The top-level keys of the whole config (the others are sections)."""
        from trapline.config import section_settings

        keys = {f for f in cls.__dataclass_fields__ if f in config}
        return section_settings(cls, {k: config[k] for k in keys})


@dataclass(frozen=True)
class ShardSettings:
    """Config ``shards``: how the season is cut into jobs.

    Args:
        max_images: most files per shard (one detect, crop and embed job each).
    """

    max_images: int = 5000
