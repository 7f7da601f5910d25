"""Writing files so that a killed job never leaves half a file behind.

Every table, cache and export goes through :func:`write_atomic`: the content is
written to a temporary file in the target's folder and renamed over the target,
so a later run finds either the old file or the new one, never a torn one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def _umask() -> int:
    """The process's umask (read by setting it, so set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _umask()


def write_atomic(path: Path, writer) -> None:
    """Call ``writer(tmp_path)`` then rename onto ``path`` in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        writer(tmp)
        # mkstemp creates the file 0600; give it the mode any new file gets here,
        # so colleagues on a cluster can read the results (the umask decides).
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def named_paths(named: Mapping[str, Any]) -> dict[str, Path | list[Path]]:
    """A rule's named inputs or outputs as paths, for a stage's dataclasses.

    ``snakemake.input``/``snakemake.output`` give strings, or lists of strings for
    per-shard inputs; a stage's ``Inputs``/``Outputs`` want ``Path``. Absent
    optional inputs (no catalogue, no truth) are simply not named, so the
    dataclass's ``None`` default stands.
    """
    return {
        key: [Path(v) for v in value] if isinstance(value, list) else Path(value)
        for key, value in named.items()
    }
