"""``python -m trapline.detect``: MegaDetector on one shard (the detect_shard rule).

A command of its own (not a Snakemake ``script:``) so that the decode workers
start from an importable main module: a spawned worker re-imports the main
module, and a Snakemake script would run again inside it.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from trapline.detect.model import DetectorSettings
from trapline.detect.shard import detect_shard


def main(argv: list[str] | None = None) -> None:
    """``python -m trapline.detect``: the detect_shard rule's entry point.

    A command of its own (not a Snakemake ``script:``) so that the decode workers
    start from an importable main module: a spawned worker re-imports the main
    module, and a Snakemake script would run again inside it.
    """

    p = argparse.ArgumentParser(prog="python -m trapline.detect")
    p.add_argument(
        "--images", type=Path, required=True, help="the shard's accepted images"
    )
    p.add_argument("--images-root", type=Path, required=True)
    p.add_argument("--weights", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True, help="the shard's detections")
    p.add_argument("--image-size", type=int, default=1280)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--min-conf", type=float, default=0.005)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--decode-workers", type=int, default=None, help="default: auto")
    p.add_argument("--flush-every", type=int, default=200, help="images between saves")
    a = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    settings = DetectorSettings(
        a.weights, a.image_size, a.batch_size, a.min_conf, a.threads, a.decode_workers
    )
    detect_shard(a.images, a.images_root, settings, a.out, a.flush_every)


if __name__ == "__main__":
    main()
