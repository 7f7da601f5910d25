"""The review page in a real browser (Debian's chromium, headless, playwright).

The demo season runs once for both page tests (``demo_run`` in conftest); its
review folder is copied elsewhere (as to a laptop), opened from ``file://``,
and decided with the keyboard in each queue.
The saved decisions file goes back into the workflow, and the identities and
capture history must change exactly as decided.

Screenshots of each queue are saved under ``$TRAPLINE_SCREENSHOTS`` (default: the
test's temporary folder); ``docs/review.md`` shows the ones taken by this test.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import snakemake

pytestmark = pytest.mark.slow


def open_copy(browser, review: Path, where: Path):
    """The review folder copied to ``where`` and opened from there; every
    request the page makes is recorded."""
    copy = where / "review-on-a-laptop"
    shutil.copytree(review, copy)
    page = browser.new_page(
        viewport={"width": 1400, "height": 950}, accept_downloads=True
    )
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto((copy / "index.html").as_uri())
    page.wait_for_load_state("load")
    return page, copy, requests, errors


def broken_images(page) -> list[str]:
    return page.evaluate(
        "[...document.images].filter(i => i.getAttribute('src') && "
        "(!i.complete || i.naturalWidth === 0)).map(i => i.src)"
    )


def page_data(copy: Path) -> dict:
    text = (copy / "data.js").read_text(encoding="utf-8")
    return json.loads(text.split("=", 1)[1].strip().rstrip(";"))


def key(page, *keys: str) -> None:
    for k in keys:
        page.keyboard.press(k)
        page.wait_for_timeout(50)


def type_answer(page, text: str) -> None:
    page.wait_for_selector("#ask[open]")
    page.keyboard.press("Control+a")
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.wait_for_timeout(50)


def test_a_review_made_with_the_keyboard_changes_identities_as_decided(
    browser, demo_run, tmp_path, screenshots
):
    page, copy, requests, errors = open_copy(
        browser, demo_run["results"] / "review", tmp_path
    )
    data = page_data(copy)
    queues = data["queues"]
    assert queues["flanks"] and queues["animals"] and queues["matches"]
    # Self-contained: nothing in the folder points outside it.
    for name in ("index.html", "app.js", "style.css", "data.js"):
        text = (copy / name).read_text()
        assert "http://" not in text and "https://" not in text and "../" not in text

    # Queue 1, flank links: the first pair is one animal.
    assert (
        page.locator("nav button[aria-current=true]").inner_text().startswith("Flank")
    )
    page.wait_for_timeout(300)
    assert broken_images(page) == []
    page.screenshot(path=screenshots / "review-flanks.png", full_page=True)
    flank = queues["flanks"][0]
    key(page, "y")

    # Queue 2, new animals: name one, split a crop off the next, merge the third
    # with its look-alike, then undo a confirmation of the fourth.
    key(page, "t")
    assert page.locator("nav button[aria-current=true]").inner_text().startswith("New")
    animals = [a for a in queues["animals"]]
    page.wait_for_timeout(300)
    assert broken_images(page) == []
    page.screenshot(path=screenshots / "review-animals.png", full_page=True)
    first = animals[0]
    key(page, "r")
    type_answer(page, "Ronja")
    second = animals[1]
    split_crop = second["crops"][0]
    key(page, "1", "s")
    type_answer(page, "Kira")
    third = next(a for a in animals[2:] if a["lookalikes"])
    while page_current_key(page) != third["key"]:
        key(page, "j")
    partner = third["lookalikes"][0]["individual"]
    key(page, "m")
    type_answer(page, partner)
    decided = len(page.evaluate("window.trapline.state().decisions"))
    key(page, "c")
    assert len(page.evaluate("window.trapline.state().decisions")) == decided + 1
    key(page, "z")
    assert len(page.evaluate("window.trapline.state().decisions")) == decided

    # Queue 3, uncertain matches: the first is its first candidate.
    key(page, "t")
    assert page.locator("nav button[aria-current=true]").inner_text().startswith("Unc")
    page.wait_for_timeout(300)
    assert broken_images(page) == []
    page.screenshot(path=screenshots / "review-matches.png", full_page=True)
    match = queues["matches"][0]
    # The whole track is one key away (the first view shows its best crop).
    shown = page.locator("main img").count()
    key(page, "a")
    more = len(match["all_track_crops"]) - len(match["track_crops"])
    assert page.locator("main img").count() == shown + more
    assert broken_images(page) == []
    key(page, "1")

    # Decisions survive a reload (autosaved in the browser).
    page.reload()
    page.wait_for_load_state("load")
    assert len(page.evaluate("window.trapline.state().decisions")) == decided + 1

    with page.expect_download() as download:
        page.click("#save")
    decisions = tmp_path / "my-decisions.csv"
    download.value.save_as(decisions)
    outside = [u for u in requests if not u.startswith(copy.as_uri())]
    assert outside == [], outside
    assert errors == []
    page.close()

    # The workflow applies the file: only identification and what follows rerun.
    config = demo_run["config"] | {
        "identify": demo_run["config"]["identify"] | {"decisions": str(decisions)}
    }
    path = demo_run["workdir"] / "reviewed.yaml"
    path.write_text(yaml.safe_dump(config))
    results = demo_run["results"]
    before = pd.read_parquet(results / "identities.parquet")
    done = snakemake(demo_run["workdir"], config=path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    after = pd.read_parquet(results / "identities.parquet").set_index("crop_id")

    def individual_of(cluster: str) -> set[str]:
        return set(after.loc[after["cluster_id"] == cluster, "individual_id"])

    # The flank link: both identities are one animal now.
    assert len(individual_of(flank["left"]) | individual_of(flank["right"])) == 1
    # The name.
    named = before.loc[before["individual_id"] == first["individual"], "cluster_id"]
    assert {
        after.loc[c, "individual_id"] for c in before.loc[named.index, "crop_id"]
    } == {"Ronja"}
    # The split: one crop taken out of its animal, as a new one, with the rest of
    # its passage (crops of one track share one decision).
    passage = before.loc[before["crop_id"] == split_crop, "track_id"].iloc[0]
    passage_crops = set(before.loc[before["track_id"] == passage, "crop_id"])
    assert set(after.loc[list(passage_crops), "individual_id"]) == {"Kira"}
    assert after.loc[split_crop, "source"] == "review"
    # The merge with the look-alike (a catalogue animal keeps its name).
    assert individual_of(third["individual"]) == (individual_of(partner) or {partner})
    # The match.
    assert (
        after.loc[match["crop"], "individual_id"]
        == match["candidates"][0]["individual"]
    )
    assert after.loc[match["crop"], "source"] == "review"
    # Nothing else changed: every other crop keeps its identity, unless its best
    # candidate is now a crop a person confirmed (confirmed crops are references).
    decided_ids = {
        flank["left"],
        flank["right"],
        first["individual"],
        third["individual"],
        partner,
    }
    involved = set(
        before.loc[
            before["cluster_id"].isin(decided_ids)
            | before["individual_id"].isin(decided_ids),
            "crop_id",
        ]
    )
    involved |= passage_crops | set(
        before.loc[
            before["track_id"] == after.loc[match["crop"], "track_id"], "crop_id"
        ]
    )
    candidates = pd.read_parquet(results / "identify/candidates.parquet")
    best = candidates.sort_values("probability").drop_duplicates("crop_id", keep="last")
    by_review = set(best.loc[best["ref_id"].str.startswith("review:"), "crop_id"])
    was = before.set_index("crop_id")["individual_id"]
    changed = [
        c
        for c in was.index
        if c not in involved | by_review and was[c] != after.loc[c, "individual_id"]
    ]
    assert changed == [], after.loc[changed]
    # The capture history holds the animals as decided.
    history = pd.read_parquet(results / "capture/capture_history.parquet")
    animals_after = set(history["Individual"])
    assert "Ronja" in animals_after
    assert first["individual"] not in animals_after
    linked = individual_of(flank["left"]) | individual_of(flank["right"])
    assert len(linked) == 1
    assert not ({flank["left"], flank["right"]} - linked) & animals_after
    merged = individual_of(third["individual"])
    assert not ({third["individual"], partner} - merged) & animals_after
    # The next review knows the decisions: none of them is asked again.
    data = page_data(results / "review")
    keys = {i["key"] for q in data["queues"].values() for i in q}
    assert flank["key"] not in keys and third["key"] not in keys
    assert all(i["crop"] != match["crop"] for i in data["queues"]["matches"])
    assert len(data["previous"]) == len(pd.read_csv(decisions))


def page_current_key(page) -> str:
    return page.evaluate(
        "(() => { const s = window.trapline.state(); "
        "return window.TRAPLINE_REVIEW.queues[s.queue][s.position[s.queue]].key; })()"
    )


def test_names_with_markup_stay_text(browser, demo_run, tmp_path):
    """An individual named ``<img onerror=…>`` or ``<script>`` is shown as its name."""
    from trapline.identify.catalogue import read_catalogue
    from trapline.identify.decisions import ReviewDecisions
    from trapline.review.folder import review_data, write_folder
    from trapline.review.queues import ReviewSettings, Season

    results = demo_run["results"]
    identities = pd.read_parquet(results / "identities.parquet")
    evil = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'
    victim = sorted(identities.loc[identities["is_new"], "individual_id"])[0]
    identities["individual_id"] = identities["individual_id"].replace(victim, evil)
    crops = pd.read_parquet(results / "crops.parquet")
    images = pd.read_parquet(results / "images.parquet")
    target = crops[crops["crop_id"].isin(set(identities["crop_id"]))].merge(
        images[["image_id", "station", "camera", "datetime"]], on="image_id"
    )
    catalogue = read_catalogue(
        demo_run["workdir"] / demo_run["config"]["identify"]["catalogue"]
    )
    season = Season(
        identities,
        pd.read_parquet(results / "identify/candidates.parquet"),
        target,
        catalogue,
        ReviewDecisions(),
    )
    out = tmp_path / "review"
    crop_paths = {
        c: results / p
        for c, p in zip(target["crop_id"], target["crop_path"], strict=True)
    }
    ref_paths = dict(
        zip(catalogue["ref_id"], map(Path, catalogue["path"]), strict=True)
    )
    write_folder(
        review_data(season, ReviewSettings(), crop_paths, ref_paths, [], out), out
    )
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto((out / "index.html").as_uri())
    page.keyboard.press("t")  # the animals queue: the renamed animal's gallery
    item = page.evaluate(
        "window.TRAPLINE_REVIEW.queues.animals"
        ".findIndex(a => a.individual.startsWith('<img'))"
    )
    assert item >= 0
    for _ in range(item):
        page.keyboard.press("j")
    assert evil in page.locator("#item h2").inner_text()
    assert page.evaluate("window.pwned === undefined")
    assert page.locator("#item img[src=x]").count() == 0
    assert dialogs == []
    page.close()
