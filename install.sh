#!/usr/bin/env bash
# Sets up everything trapline needs on a Debian/Ubuntu machine, idempotently:
# system tools with apt (exiftool), then a virtual environment .venv with the
# package and its pinned dependencies (torch 2.14.1, a CUDA build that also runs
# on CPU, and megadetector 10.0.28). Safe to run again; fast when nothing changed.
set -euo pipefail
cd "$(dirname "$0")"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v exiftool >/dev/null; then
    echo "[install] apt: exiftool" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        libimage-exiftool-perl >/dev/null
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
echo "[install] ready: $(.venv/bin/snakemake --version | head -1) snakemake," \
    "exiftool $(exiftool -ver)" >&2
