"""``python -m trapline.embed``: the embed rules' entry point.

A command of its own (not a Snakemake ``script:``) so that decode workers start
from an importable main module: a spawned worker re-imports the main module, and
a Snakemake script would run again inside it.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from trapline.embed.backbone import EmbedSettings
from trapline.embed.stage import embed_stage


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and update one embedding store."""
    p = argparse.ArgumentParser(prog="python -m trapline.embed")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--crops", type=Path, help="crops.parquet")
    what.add_argument("--catalogue", help="catalogue folder or CSV")
    what.add_argument(
        "--species-reference", help="few-shot species folder (<species>/*.jpg)"
    )
    p.add_argument("--results", type=Path, help="folder crop paths are relative to")
    p.add_argument("--out", type=Path, required=True, help="embedding store")
    p.add_argument("--model", default=EmbedSettings.model)
    p.add_argument("--weights", type=Path, default=None)
    p.add_argument("--image-size", type=int, default=None, help="default: model's")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default=None, help="default: cuda when present")
    p.add_argument("--decode-workers", type=int, default=None, help="default: auto")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    settings = EmbedSettings(
        a.model,
        a.weights,
        a.image_size,
        a.batch_size,
        a.threads,
        a.device,
        a.decode_workers,
    )
    embed_stage(settings, a.out, a.crops, a.results, a.catalogue, a.species_reference)


if __name__ == "__main__":
    main()
