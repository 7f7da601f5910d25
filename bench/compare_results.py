"""Are two results folders the same season? Every Parquet table by content, JSON by
value, every other file by bytes.

A refactoring must not change what users read: run the demo before and after on
the same simulated season (copy ``demo/season`` across and run with
``--rerun-triggers mtime`` so it is not simulated again), then

    .venv/bin/python bench/compare_results.py OLD/results/demo results/demo

Per-shard caches are skipped (their file names follow the shard plan, and their
content reaches the user tables, which are compared). Internal tables that were
renamed are compared under their new names (``--rename old=new``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

CACHES = (
    "crop/shards",
    "crops/shards",
    "inventory/probes",
    "inventory/shards",
    "detect/shards",
    "shards/",
    "identify/cache",
)
VOLATILE = ("created", "info")
"""JSON keys that hold the time of the run (Camtrap DP ``created``, MD ``info``)."""


def _files(root: Path) -> set[str]:
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


def _json(path: Path):
    data = json.loads(path.read_text())
    if isinstance(data, dict):
        for key in VOLATILE:
            data.pop(key, None)
    return data


def _same(a: Path, b: Path) -> str | None:
    """None when ``a`` and ``b`` hold the same content, else what differs."""
    if a.suffix == ".parquet":
        try:
            pd.testing.assert_frame_equal(pd.read_parquet(a), pd.read_parquet(b))
        except AssertionError as err:
            return str(err)[:300]
        return None
    if a.suffix == ".json":
        return None if _json(a) == _json(b) else "JSON values differ"
    return None if a.read_bytes() == b.read_bytes() else "bytes differ"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--rename", action="append", default=[], help="old=new")
    args = parser.parse_args()
    renames = dict(r.split("=", 1) for r in args.rename)
    old, new = _files(args.old), _files(args.new)
    identical, different = 0, 0
    for rel in sorted(old):
        if rel.startswith(CACHES):
            continue
        target = renames.get(rel, rel)
        if target not in new:
            print(f"missing in {args.new}: {target}")
            different += 1
            continue
        problem = _same(args.old / rel, args.new / target)
        if problem:
            print(f"differs: {rel}: {problem}")
            different += 1
        else:
            identical += 1
    added = new - {renames.get(r, r) for r in old}
    for rel in sorted(r for r in added if not r.startswith(CACHES)):
        print(f"new: {rel}")
    print(f"{identical} identical, {different} different")


if __name__ == "__main__":
    main()
