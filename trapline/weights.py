"""Where model weights come from: never a hidden download in the middle of a run.

Compute nodes often have no internet, so a job only reads weights that already
exist. For a named MegaDetector model the order is: the path in config, the
package's environment variable for that name (``MDV5A=/path/md_v5a.0.1.pt``), the
package's own cache, then ``resources/models/`` where the ``fetch_models`` target
puts what it downloads on a login node.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from trapline.inventory.jpeg import megadetector_imports

MODELS_DIR = Path("resources/models")
"""Where ``snakemake fetch_models`` stores downloaded weights (relative to the run)."""


class WeightsError(FileNotFoundError):
    """Weights for a configured model are nowhere on this machine."""


def megadetector_file(name: str) -> str:
    """The checkpoint file MegaDetector names a model by, e.g. ``md_v5a.0.1.pt``.

    Raises:
        WeightsError: the name is neither a known model nor a ``.pt`` path.
    """
    with megadetector_imports():
        from megadetector.detection.run_detector import (
            get_detector_version_from_filename,
            known_models,
            model_string_to_model_version,
        )

    version = model_string_to_model_version.get(name.lower())
    if version is None:
        version = get_detector_version_from_filename(name, accept_first_match=False)
    if version not in known_models:
        raise WeightsError(
            f"config key 'detect.detector' = {name!r} is not a MegaDetector model "
            f"name ({', '.join(sorted(model_string_to_model_version)[:8])}, …) "
            "nor a path to a .pt file"
        )
    return os.path.basename(known_models[version]["url"])


def megadetector_weights(
    name: str, config_path: str | None = None, models_dir: Path = MODELS_DIR
) -> Path:
    """Resolve a MegaDetector model to a local checkpoint, without downloading.

    Args:
        name: model name (``MDV5A``, ``MDV5B``, ``MDV1000-REDWOOD``…) or a ``.pt`` path.
        config_path: ``detect.weights`` from config, which wins when set.
        models_dir: where ``fetch_models`` stores weights.

    Raises:
        WeightsError: nothing found; the message says how to fetch it once.
    """
    for candidate in (config_path, name if name.endswith(".pt") else None):
        if candidate:
            if Path(candidate).is_file():
                return Path(candidate)
            raise WeightsError(
                f"MegaDetector weights {candidate!r} (config 'detect') do not exist"
            )
    filename = megadetector_file(name)
    candidates = [
        os.environ.get(name),
        Path(tempfile.gettempdir()) / "megadetector_models" / filename,
        models_dir / filename,
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise WeightsError(
        f"no weights for MegaDetector model {name!r} ({filename}) on this machine. "
        f"Fetch them once where there is internet: `snakemake --cores 1 fetch_models "
        f"--configfile <your config>` (saves {models_dir / filename}), or download "
        f"{filename} yourself and set {name}=/path/to/{filename} or config "
        "'detect.weights'"
    )


def fetch_megadetector(name: str, models_dir: Path = MODELS_DIR) -> Path:
    """Download a named model with MegaDetector's own downloader into ``models_dir``."""
    with megadetector_imports():
        from megadetector.detection.run_detector import try_download_known_detector

    target = models_dir / megadetector_file(name)
    if not target.is_file():
        downloaded = Path(try_download_known_detector(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".part")
        tmp.write_bytes(downloaded.read_bytes())
        tmp.replace(target)
    return target
