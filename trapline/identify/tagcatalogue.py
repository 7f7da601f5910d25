"""A catalogue from a season of tagged images: the crops a person's tag named.

Programmes hold years of images identified by eye. Run trapline on such a
season (tags decide its crops, :mod:`trapline.identify.tags`), then turn its
tagged crops into a catalogue table for the next season::

    python -m trapline.identify.tagcatalogue results/2025 catalogue-2025.csv

and set ``identify.catalogue: catalogue-2025.csv``. The references are the
detector's boxes of the tagged images, as cropped (the crops a tag was forced
onto: one individual tagged on an image with one target box), with the flank
identification saw (left blank when unknown).

A folder of tagged images can also be the catalogue directly, without running it
as a season first: ``identify.catalogue_kind: tagged``
(:mod:`trapline.identify.tagfolder`).
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

import pandas as pd

from trapline.tables import CROPS, IDENTITIES

log = logging.getLogger(__name__)

COLUMNS = ["path", "individual_id", "flank"]


def tagged_catalogue(results: Path, out: Path) -> pd.DataFrame:
    """Write the catalogue table (``path, individual_id, flank``) of a run's
    tagged crops; paths are relative to the table, as the catalogue reader
    resolves them.

    Raises:
        ValueError: the run has no crop identified by a tag (naming the folder).
    """
    identities = IDENTITIES.read(results / "identities.parquet")
    crops = CROPS.read(results / "crops.parquet")
    tagged = identities[identities["source"] == "tag"].merge(
        crops[["crop_id", "crop_path"]], on="crop_id"
    )
    if tagged.empty:
        raise ValueError(
            f"{results}: no crop was identified by a tag; tag the images "
            "(Individual|<id>) and run the season with identify.truth unset"
        )
    base = out.resolve().parent
    table = pd.DataFrame(
        {
            "path": [
                Path(os.path.relpath((results / p).resolve(), base)).as_posix()
                for p in tagged["crop_path"]
            ],
            "individual_id": tagged["individual_id"],
            "flank": tagged["flank"].where(tagged["flank"].isin(["left", "right"])),
        }
    ).sort_values(["individual_id", "path"], ignore_index=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    log.info(
        "%d references of %d individuals written to %s",
        len(table),
        table["individual_id"].nunique(),
        out,
    )
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m trapline.identify.tagcatalogue",
        description="A catalogue table from the tagged crops of a finished run.",
    )
    parser.add_argument("results", type=Path, help="the run's results folder")
    parser.add_argument("out", type=Path, help="the catalogue CSV to write")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    tagged_catalogue(args.results, args.out)


if __name__ == "__main__":
    main()
