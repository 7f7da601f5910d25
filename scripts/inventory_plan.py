# Snakemake entry point for rule inventory_plan: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.config import section_settings
from trapline.inventory.layout import FolderLayout
from trapline.inventory.settings import ShardSettings
from trapline.inventory.shards import plan_season

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
out = Path(snakemake.output[0])
plan = plan_season(
    Path(snakemake.params.images_root),
    FolderLayout.parse(snakemake.params.layout),
    section_settings(ShardSettings, snakemake.params.settings).max_images,
    out.parent,
)
out.write_text("".join(f"{shard}\n" for shard in plan.ids))
