# Snakemake entry point for rule camtrap_dp: maps snakemake.* onto trapline.
import sys

sys.stderr = open(snakemake.log[0], "w", buffering=1)
sys.path.insert(0, snakemake.scriptdir + "/..")
import logging
from pathlib import Path

from trapline.export import PackageMetadata, camtrap_dp_stage
from trapline.stations import StationColumns

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
p, i = snakemake.params, snakemake.input
camtrap_dp_stage(
    Path(i.images),
    Path(i.detections),
    Path(i.crops),
    Path(i.identities) if "identities" in i.keys() else None,
    Path(i.stations),
    p.timezone,
    StationColumns(**p.stations_columns),
    p.date_format,
    PackageMetadata(
        title=p.metadata["title"],
        contributors=tuple(p.metadata["contributors"]),
        sampling_design=p.metadata["sampling_design"],
        crs=p.crs,
    ),
    Path(snakemake.output.package).parent,
)
