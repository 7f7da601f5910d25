"""The season report of a run without a catalogue: every plot is written, and the
sections about individuals say why they are empty instead of failing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from PIL import Image

from conftest import TEST_CONFIG, snakemake
from trapline.report.stage import OUTPUT_KEYS

pytestmark = pytest.mark.slow

NO_CATALOGUE = "no catalogue (identify.catalogue is null)"


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("no-catalogue")
    config = yaml.safe_load(TEST_CONFIG.read_text())
    config["identify"]["catalogue"] = None
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    done = snakemake(workdir, config=path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return workdir / config["results"] / "report"


def test_every_section_has_its_plot_and_the_empty_ones_say_why(report):
    html = (report / "index.html").read_text(encoding="utf-8")
    for key in OUTPUT_KEYS:
        assert f'<img src="{key}.png"' in html
        assert Image.open(report / f"{key}.png").size[0] > 0
    sections = {part.split('"', 1)[0]: part for part in html.split('<section id="')[1:]}
    assert list(sections) == list(OUTPUT_KEYS)
    for key in ("files", "operation", "stations", "activity"):
        assert 'class="empty"' not in sections[key], key
    for key in ("individuals", "individual_maps", "estimates", "identification"):
        assert 'class="empty"' in sections[key] and NO_CATALOGUE in sections[key], key
