"""The season report in a real browser (Debian's chromium, headless, playwright)
and in Snakemake's own report.

The demo season runs once for both page tests (``demo_run`` in conftest); its
report folder is copied elsewhere (as to a laptop) and opened from ``file://``
with every request outside the folder refused, as on a laptop without network.
A full-page screenshot is saved under ``$TRAPLINE_SCREENSHOTS`` (default: the
test's temporary folder); ``docs/report.md`` shows the one taken by this test.
"""

from __future__ import annotations

import shutil

import pytest

from conftest import snakemake
from trapline.report.stage import OUTPUT_KEYS

pytestmark = pytest.mark.slow


def test_the_report_opens_offline_with_a_plot_in_every_section(
    browser, demo_run, tmp_path, screenshots
):
    copy = tmp_path / "report-on-a-laptop"
    shutil.copytree(demo_run["results"] / "report", copy)
    inside = copy.as_uri() + "/"
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    outside: list[str] = []
    errors: list[str] = []

    def only_the_folder(route) -> None:
        if route.request.url.startswith(inside):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_folder)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(inside + "index.html")
    page.wait_for_load_state("load")

    assert outside == [] and errors == []
    images = page.evaluate(
        "[...document.images].map(i => ({src: i.getAttribute('src'), "
        "complete: i.complete, width: i.naturalWidth}))"
    )
    assert images and all(i["complete"] and i["width"] > 0 for i in images), images
    sections = page.evaluate(
        "[...document.querySelectorAll('section')].map(s => ({key: s.dataset.section,"
        " plots: [...s.querySelectorAll('img')].filter(i => i.naturalWidth > 0)"
        ".length, empty: s.querySelector('p.empty')?.textContent ?? null}))"
    )
    assert [s["key"] for s in sections] == list(OUTPUT_KEYS)
    # The demo has a catalogue, target animals and the truth: no section is empty.
    assert all(s["plots"] == 1 and s["empty"] is None for s in sections), sections
    text = page.inner_text("body")
    assert "Etc/GMT-1" in text  # the activity plot names the clock it used
    assert "true N" in page.inner_text("#estimates") or "simulated season held" in text
    page.screenshot(path=screenshots / "report.png", full_page=True)


def test_snakemake_report_embeds_every_plot(demo_run):
    """`snakemake --report` after a finished run: nothing reruns, every plot is in."""
    out = demo_run["workdir"] / "snakemake-report.html"
    done = snakemake(
        demo_run["workdir"], "--report", str(out), config=demo_run["config_path"]
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    html = out.read_text(encoding="utf-8")
    for key in OUTPUT_KEYS:  # embedded as data URIs, each with its caption
        assert f"data:image/png;charset=utf8;filename={key}.png;base64," in html, key
    assert "Files per station: usable images" in html
    assert "trapline turned a season" in html  # report/workflow.rst
