"""The season report's parts on small tables: counting, clocks, escaping, and
sections that say why they are empty."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from PIL import Image

from trapline.report.activity import circular_density, corrections
from trapline.report.estimates import estimates_section
from trapline.report.figures import Section
from trapline.report.files import files_section, usable_by_station
from trapline.report.identification import (
    identification_section,
    individuals_at_stake,
    queue_sizes,
)
from trapline.report.individuals import flank_coverage
from trapline.report.operation import operation_matrix
from trapline.report.page import render_page
from trapline.report.stage import ReportInputs, ReportSettings, why_no_individuals

ODD = "<b>ST&1</b>"
"""A station folder name that is also HTML."""


def write_images(path: Path) -> Path:
    pd.DataFrame(
        {
            "station": [ODD, ODD, ODD, "ST02", "ST02"],
            "n_animals": [1, 1, 0, 0, 0],
            "n_persons": [1, 0, 0, 1, 0],
            "n_vehicles": [0, 0, 0, 1, 0],
            "is_empty": [False, False, True, False, True],
        }
    ).to_parquet(path)
    return path


def test_each_usable_image_is_counted_once_by_what_it_shows(tmp_path):
    counts = usable_by_station(write_images(tmp_path / "images.parquet"))
    assert counts.loc[ODD].to_dict() == {
        "animal": 2,  # the animal with a person beside it is an animal image
        "person": 0,
        "vehicle": 0,
        "empty": 1,
    }
    assert counts.loc["ST02"].to_dict() == {
        "animal": 0,
        "person": 1,
        "vehicle": 0,
        "empty": 1,
    }


def test_files_plot_counts_quarantine_without_a_station(tmp_path):
    quarantine = tmp_path / "quarantine.parquet"
    pd.DataFrame(
        {"station": [None, "ST02"], "reason": ["unknown_station", "no_timestamp"]}
    ).to_parquet(quarantine)
    out = tmp_path / "files.png"
    section = files_section(write_images(tmp_path / "images.parquet"), quarantine, out)
    assert section.empty is None
    assert Image.open(out).size[0] > 500


def test_names_with_dollar_signs_are_drawn_as_text_not_math(tmp_path):
    # Two "$" make matplotlib's default mathtext parse "ST$^{$" and raise at
    # savefig ("Expected end of text"); folder and tag names are not TeX.
    images = tmp_path / "images.parquet"
    pd.DataFrame(
        {
            "station": ["ST$^{$1", "Cam $A$"],
            "n_animals": [1, 0],
            "n_persons": [0, 0],
            "n_vehicles": [0, 0],
            "is_empty": [False, True],
        }
    ).to_parquet(images)
    quarantine = tmp_path / "quarantine.parquet"
    pd.DataFrame({"station": ["x$\\frac{$"], "reason": ["no_timestamp"]}).to_parquet(
        quarantine
    )
    out = tmp_path / "files.png"
    files_section(images, quarantine, out)
    assert Image.open(out).size[0] > 500
    assert matplotlib.rcParams["text.parse_math"]  # the caller's settings are back


def test_operation_marks_not_set_up_problem_and_working_days(tmp_path):
    path = tmp_path / "camera_operation.parquet"
    pd.DataFrame(
        {
            "Session": ["1"] * 3,
            "Station": ["A", "A", "A"],
            "Date": pd.to_datetime(["2026-03-01", "2026-03-02", "2026-03-04"]).date,
            "effort": [np.nan, 0.0, 1.0],
        }
    ).to_parquet(path)
    # 3 March has no row at all: not set up, like camtrapR's NA.
    assert operation_matrix(path).loc["A"].tolist() == [0, 1, 0, 2]


def test_activity_density_is_circular_and_sums_to_one():
    grid = np.linspace(0, 24, 2401)
    density = circular_density(np.array([23.8, 0.2, 0.1]), grid)
    assert abs(np.trapezoid(density, grid) - 1) < 1e-3
    assert density[0] == density[-1]  # midnight is one point on the circle
    assert density[0] > density[1200]  # and the records are around it


def test_clock_offsets_applied_are_named_with_their_sign(tmp_path):
    path = tmp_path / "deployments.parquet"
    pd.DataFrame(
        {"deployment_id": [ODD, "ST02"], "clock_offset_s": [-7200.0, 0.0]}
    ).to_parquet(path)
    notes = corrections(path, "Etc/GMT-1")
    assert "Etc/GMT-1" in notes[0]
    assert notes[1] == f"Clock offsets added (1 of 2 deployments): {ODD} −2:00:00."


def test_page_escapes_every_name_from_the_season():
    section = Section(
        "files", "1. Files", "look", notes=(f"{ODD} <script>alert(1)</script>",)
    )
    html = render_page([section], [("stations", ODD)], "Season report: <x>")
    assert "<b>" not in html and "<script>" not in html and "<x>" not in html
    assert "&lt;b&gt;ST&amp;1&lt;/b&gt;" in html
    assert '<img src="files.png"' in html


def test_identification_without_a_catalogue_says_so(tmp_path):
    section = identification_section(None, None, None, (0.2, 0.9), tmp_path / "i.png")
    assert "no catalogue" in section.empty
    assert not (tmp_path / "i.png").exists()  # the stage writes the reason's image


def test_review_queue_sizes_count_the_crops_a_match_would_move():
    queues = {
        "matches": [{"n_track_crops": 3}, {"n_track_crops": 1}],
        "animals": [{}],
        "flanks": [],
    }
    sizes = queue_sizes(queues).set_index("queue")
    assert sizes["items"].tolist() == [2, 1, 0]
    assert sizes.loc["uncertain matches", "change"] == "4 crops may change individual"


def test_individuals_at_stake_are_every_identity_a_decision_could_move():
    queues = {
        "matches": [{"call": "NEW1", "candidates": [{"individual": "LYX2"}]}],
        "animals": [{"individual": "NEW3", "lookalikes": [{"individual": "NEW4"}]}],
        "flanks": [{"left": "LYX5", "right": "NEW6"}],
    }
    stake = {"NEW1", "LYX2", "NEW3", "NEW4", "LYX5", "NEW6"}
    assert individuals_at_stake(queues) == stake
    assert individuals_at_stake({"matches": [], "animals": [], "flanks": []}) == set()


def test_estimates_without_individuals_say_why(tmp_path):
    estimate = tmp_path / "estimate.json"
    estimate.write_text(json.dumps({"estimates": []}))
    section = estimates_section(estimate, tmp_path / "e.png", why_empty=None)
    assert section.empty == "no individual was captured: nothing to estimate"


def test_flank_coverage_counts_each_individual_once_by_the_flanks_seen(tmp_path):
    path = tmp_path / "identities.parquet"
    pd.DataFrame(
        {
            "individual_id": ["LYX1", "LYX1", "NEW1", "NEW2", "NEW3"],
            "is_new": [False, False, True, True, True],
            "flank": ["left", "right", "left", "right", "unknown"],
        }
    ).to_parquet(path)
    coverage = flank_coverage(path)
    assert coverage.loc["both flanks"].tolist() == [1, 0]
    assert coverage["new"].tolist() == [1, 1, 0, 1]


def test_no_target_species_seen_is_named_as_the_reason(tmp_path):
    identities = tmp_path / "identities.parquet"
    pd.DataFrame({"crop_id": pd.Series(dtype=str)}).to_parquet(identities)
    unread = tmp_path / "not-read"
    inputs = ReportInputs(
        **{f.name: unread for f in fields(ReportInputs)} | {"identities": identities}
    )
    why = why_no_individuals(inputs, ReportSettings(target_species=("Lynx lynx",)))
    assert why == "no target species (Lynx lynx) was seen: no crop to identify"
