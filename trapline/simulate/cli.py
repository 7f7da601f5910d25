"""Command line: ``python -m trapline.simulate OUT [options]``."""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from trapline.simulate.season import simulate_season
from trapline.simulate.settings import SeasonSettings


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m trapline.simulate",
        description="Write a simulated camera-trap season with ground truth.",
    )
    p.add_argument("out", type=Path, help="output folder (earlier output is replaced)")
    p.add_argument("--seed", type=int)
    p.add_argument("--tiny", action="store_true", help="the small test season")
    p.add_argument("--stations", type=int, dest="n_stations")
    p.add_argument("--individuals", type=int, dest="n_individuals")
    p.add_argument("--days", type=int)
    p.add_argument("--width", type=int)
    p.add_argument("--height", type=int)
    p.add_argument("--processes", type=int)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, generate the season, print a summary."""
    args = vars(_parser().parse_args(argv))
    out, tiny = args.pop("out"), args.pop("tiny")
    base = SeasonSettings.tiny() if tiny else SeasonSettings()
    overrides = {k: v for k, v in args.items() if v is not None}
    settings = dataclasses.replace(base, **overrides)
    start = time.perf_counter()
    summary = simulate_season(
        out,
        settings,
        progress=lambda it, n: tqdm(it, total=n, unit="img", desc="rendering"),
    )
    seconds = time.perf_counter() - start
    for field in dataclasses.fields(summary):
        print(f"{field.name}: {getattr(summary, field.name)}")
    print(f"seconds: {seconds:.1f}")
    return 0
