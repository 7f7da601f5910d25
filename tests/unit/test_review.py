"""The review sheet and the decisions people feed back."""

import pandas as pd
import pytest

from trapline.identify.review import (
    DecisionsError,
    read_decisions,
    review_queue,
    write_review,
)


def test_decisions_become_forced_and_forbidden(tmp_path):
    path = tmp_path / "decisions.csv"
    path.write_text(
        "crop_id,proposed_individual,decision,new_name,note\n"
        "c1,LYX001,same,,\n"
        "c2,LYX002,different,,\n"
        "c3,LYX003,unsure,,\n"
        "c4,LYX004,new,Tom,kitten\n"
        "c5,LYX005,,,\n"
    )
    got = read_decisions(path)
    assert got.forced == {"c1": "LYX001", "c4": "Tom"}
    assert got.forbidden == {("c2", "LYX002"), ("c4", "LYX004")}


@pytest.mark.parametrize(
    "line,message",
    [
        ("c1,LYX001,maybe,,", r"line 2: decision 'maybe'"),
        ("c1,LYX001,new,,", "new_name"),
    ],
)
def test_bad_decisions_name_file_and_line(tmp_path, line, message):
    path = tmp_path / "d.csv"
    path.write_text(
        "crop_id,proposed_individual,decision,new_name,note\n" + line + "\n"
    )
    with pytest.raises(DecisionsError, match=message):
        read_decisions(path)


def test_missing_file_names_the_config_key(tmp_path):
    with pytest.raises(DecisionsError, match="identify.decisions"):
        read_decisions(tmp_path / "nope.csv")
    assert read_decisions(None).forced == {}


def test_queue_holds_middling_calls_and_sheet_links_images(tmp_path):
    identities = pd.DataFrame(
        {
            "crop_id": ["sure", "middling", "new_close", "new_far"],
            "individual_id": ["A", "B", "NEW0001", "NEW0002"],
            "is_new": [False, False, True, True],
            "source": ["catalogue", "catalogue", "auto", "auto"],
            "score": [0.99, 0.6, 0.7, 0.95],
        }
    )
    candidates = pd.DataFrame(
        {
            "crop_id": ["sure", "middling", "new_close", "new_far"],
            "rank": [0, 0, 0, 0],
            "individual_id": ["A", "B", "C", "D"],
            "ref_id": ["ra", "rb", "rc", "rd"],
            "probability": [0.99, 0.6, 0.3, 0.05],
            "inliers": [40, 12, 8, 2],
        }
    )
    queue = review_queue(identities, candidates)
    assert set(queue["crop_id"]) == {"middling", "new_close"}
    crops = {c: tmp_path / "crops" / f"{c}.jpg" for c in identities["crop_id"]}
    refs = {r: tmp_path / "catalogue" / f"{r}.jpg" for r in candidates["ref_id"]}
    sheet, decisions = (
        tmp_path / "review/review.html",
        tmp_path / "review/decisions.csv",
    )
    write_review(queue, candidates, crops, refs, sheet, decisions)
    page = sheet.read_text()
    assert 'src="../crops/middling.jpg"' in page and 'src="../catalogue/rb.jpg"' in page
    template = pd.read_csv(decisions, dtype=str, keep_default_na=False)
    assert list(template.columns) == [
        "crop_id",
        "proposed_individual",
        "decision",
        "new_name",
        "note",
    ]
    assert set(template["proposed_individual"]) == {"B", "C"}
    assert read_decisions(decisions).forced == {}
