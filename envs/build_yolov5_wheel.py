"""Build the ultralytics-yolov5 0.1.1 wheel that megadetector 10.0.28 pins, offline.

ultralytics-yolov5 0.1.1 is published only as a source archive whose setup.py
downloads the project README from GitHub at build time, so ``pip install
megadetector`` fails on machines that reach only the package registry (and on
compute nodes with no network at all). The archive bundles the same README; this
script fetches the archive from the package index, checks its sha256, makes
setup.py read the bundled README instead, and builds the wheel.

    python envs/build_yolov5_wheel.py WHEEL_DIR
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

NAME, VERSION = "ultralytics-yolov5", "0.1.1"
SDIST = f"{NAME}-{VERSION}.tar.gz"
DOWNLOAD = (
    "README = request.urlopen('https://raw.githubusercontent.com/ultralytics/yolov5/"
    "master/README.md').read().decode('utf-8')"
)
BUNDLED = "README = open('README.md', encoding='utf-8').read()"


def index_url() -> str:
    """The index pip uses here (PIP_INDEX_URL or pip's config), as a simple API URL."""
    url = os.environ.get("PIP_INDEX_URL")
    if not url:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "config", "get", "global.index-url"],
            capture_output=True,
            text=True,
        )
        url = done.stdout.strip() or "https://pypi.org/simple"
    return url.rstrip("/")


def sdist_location() -> tuple[str, str]:
    """URL and sha256 of the source archive, from the index's JSON simple API."""
    request = urllib.request.Request(
        f"{index_url()}/{NAME}/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        files = json.load(response)["files"]
    for entry in files:
        if entry["filename"] == SDIST:
            return entry["url"], entry["hashes"]["sha256"]
    raise SystemExit(f"{SDIST} is not on {index_url()}")


def build(wheel_dir: Path) -> Path:
    wheel_dir.mkdir(parents=True, exist_ok=True)
    existing = sorted(wheel_dir.glob(f"ultralytics_yolov5-{VERSION}-*.whl"))
    if existing:
        return existing[0]
    url, sha256 = sdist_location()
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / SDIST
        with urllib.request.urlopen(url, timeout=300) as response:
            archive.write_bytes(response.read())
        if hashlib.sha256(archive.read_bytes()).hexdigest() != sha256:
            raise SystemExit(f"{SDIST}: sha256 does not match the index")
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        source = Path(tmp) / f"{NAME}-{VERSION}"
        setup = source / "setup.py"
        text = setup.read_text()
        if DOWNLOAD not in text:
            raise SystemExit(f"{setup}: the README download line has changed")
        setup.write_text(text.replace(DOWNLOAD, BUNDLED))
        command = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps"]
        done = subprocess.run(
            [*command, str(source), "-w", str(wheel_dir)],
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise SystemExit(f"building {SDIST} failed:\n{done.stdout}{done.stderr}")
    return sorted(wheel_dir.glob(f"ultralytics_yolov5-{VERSION}-*.whl"))[0]


if __name__ == "__main__":
    print(build(Path(sys.argv[1])))
