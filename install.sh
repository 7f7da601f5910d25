#!/usr/bin/env bash
# Sets up everything trapline needs on a Debian/Ubuntu machine, idempotently:
# system tools with apt (exiftool; r-base-core for the R tests; slurm-wlm and
# munge for the Slurm tests; chromium for the browser tests), then a virtual
# environment .venv with the package and its pinned dependencies (torch 2.14.1,
# a CUDA build that also runs on CPU, and megadetector 10.0.28). Safe to run
# again; fast when nothing changed.
set -euo pipefail
cd "$(dirname "$0")"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v exiftool >/dev/null; then
    echo "[install] apt: exiftool" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        libimage-exiftool-perl >/dev/null
fi
# R (base only) for the tests that read the secr, MARK and occupancy exports.
if ! command -v Rscript >/dev/null; then
    echo "[install] apt: r-base-core" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        r-base-core >/dev/null
fi
# Slurm and munge for the tests that run the workflow through a real one-node
# Slurm (tests/cluster); nothing is started here. Skipped where sbatch exists:
# a cluster's login node has its own Slurm.
if ! command -v sbatch >/dev/null; then
    echo "[install] apt: slurm-wlm munge" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        slurm-wlm munge >/dev/null
fi

# Chromium for the tests that open the review page in a real browser (driven by
# playwright from pip, which uses this browser: it downloads none).
if ! command -v chromium >/dev/null; then
    echo "[install] apt: chromium" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        chromium >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    echo "[install] venv: .venv" >&2
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.trapline-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ install.sh -nt "$stamp" ] \
    || [ envs/speciesnet.txt -nt "$stamp" ]; then
    echo "[install] pip: trapline and its dependencies" >&2
    .venv/bin/python -m pip install -q --upgrade pip
    # megadetector pins ultralytics-yolov5 0.1.1, published only as a source
    # archive whose setup.py downloads a README: build that wheel offline first.
    .venv/bin/python envs/build_yolov5_wheel.py .wheels >/dev/null
    .venv/bin/python -m pip install -q --find-links .wheels -e ".[dev]"
    # SpeciesNet (species.backend: speciesnet) without its PyPI `yolov5`, which
    # would overwrite MegaDetector's: see envs/speciesnet.txt.
    .venv/bin/python -m pip install -q --no-deps -r envs/speciesnet.txt
    touch "$stamp"
fi
# `snakemake --profile slurm` looks for ./slurm (then ~/.config/snakemake/slurm):
# link the project's profile there.
[ -e slurm ] || [ -L slurm ] || ln -s profiles/slurm slurm
echo "[install] ready: $(.venv/bin/snakemake --version | head -1) snakemake," \
    "exiftool $(exiftool -ver), $(Rscript --version 2>&1 | head -1)" >&2
