"""Left and right flanks of one animal linked by paired cameras."""

import pandas as pd

from trapline.identify.flanks import link_flanks, simultaneous_pairs

TZ = "Etc/GMT-1"


def test_simultaneous_single_animals_at_paired_cameras_pair_up():
    images = pd.DataFrame(
        {
            "image_id": ["a1", "b1", "a2", "b2", "c1", "a3"],
            "station": ["S1", "S1", "S1", "S1", "S2", "S1"],
            "camera": ["A", "B", "A", "B", "A", "A"],
            "datetime": pd.to_datetime(
                ["10:00:00", "10:00:01", "11:00:00", "11:00:00", "10:00:00", "12:00"]
            ).tz_localize(TZ),
        }
    )
    crops = pd.DataFrame(
        {
            "crop_id": ["a1-0", "b1-0", "a2-0", "a2-1", "b2-0", "c1-0", "a3-0"],
            "image_id": ["a1", "b1", "a2", "a2", "b2", "c1", "a3"],
        }
    )
    # a2 holds two animals: ambiguous, never paired; c1 is another station.
    assert simultaneous_pairs(crops, images) == [("a1-0", "b1-0")]


def test_linking_merges_new_flanks_and_prefers_catalogue_names():
    identities = pd.DataFrame(
        {
            "crop_id": ["l1", "r1", "l2", "r2", "k1", "k2"],
            "individual_id": [
                "NEW0002",
                "NEW0005",
                "NEW0003",
                "LYX001",
                "LYX001",
                "LYX002",
            ],  # noqa: E501
            "is_new": [True, True, True, False, False, False],
        }
    )
    pairs = [("l1", "r1"), ("l2", "r2"), ("k1", "k2")]
    linked, conflicts = link_flanks(identities, pairs)
    ids = linked.set_index("crop_id")["individual_id"].to_dict()
    assert ids["l1"] == ids["r1"] == "NEW0002"
    assert ids["l2"] == "LYX001"
    assert ids["k2"] == "LYX002" and len(conflicts) == 1


def test_a_name_given_in_review_survives_a_flank_link():
    """Linked with a provisional id, the reviewer's name is kept (it sorted after
    ``NEW…`` and was replaced before)."""
    identities = pd.DataFrame(
        {
            "crop_id": ["l1", "r1"],
            "individual_id": ["Tom", "NEW0002"],
            "is_new": [True, True],
        }
    )
    linked, _ = link_flanks(identities, [("l1", "r1")])
    assert set(linked["individual_id"]) == {"Tom"}


def identities_of(rows):
    frame = pd.DataFrame(rows, columns=["crop_id", "individual_id", "cluster_id"])
    return frame.assign(is_new=~frame["individual_id"].str.startswith("LYX"))


def test_review_merges_and_names_apply_to_the_clusters_a_person_saw():
    from trapline.identify.decisions import ReviewDecisions
    from trapline.identify.merges import apply_identity_decisions

    identities = identities_of(
        [
            ("a", "NEW0001", "NEW0001"),
            ("b", "NEW0001", "NEW0004"),  # linked to NEW0001 by paired cameras
            ("c", "NEW0002", "NEW0002"),
            ("d", "NEW0003", "NEW0003"),
            ("e", "LYX001", "LYX001"),
            ("f", "NEW0005", "NEW0005"),
        ]
    )
    decisions = ReviewDecisions(
        merges=(("NEW0004", "NEW0002"), ("NEW0003", "LYX001"), ("NEW0009", "NEW0005")),
        names={"NEW0002": "Ronja"},
    )
    out, skipped = apply_identity_decisions(identities, decisions, {"LYX001"})
    got = dict(zip(out["crop_id"], out["individual_id"], strict=True))
    assert got == {
        "a": "Ronja",
        "b": "Ronja",
        "c": "Ronja",
        "d": "LYX001",
        "e": "LYX001",
        "f": "NEW0005",
    }
    assert skipped == [
        "merge NEW0009 + NEW0005: NEW0009 is not an identity of this run"
    ]
    assert (out["cluster_id"] == identities["cluster_id"]).all()


def test_two_catalogue_animals_are_never_merged_by_review():
    from trapline.identify.decisions import ReviewDecisions
    from trapline.identify.merges import apply_identity_decisions

    identities = identities_of(
        [
            ("a", "LYX001", "LYX001"),
            ("b", "NEW0001", "NEW0001"),
            ("c", "LYX002", "LYX002"),
        ]
    )
    decisions = ReviewDecisions(merges=(("NEW0001", "LYX001"), ("NEW0001", "LYX002")))
    out, skipped = apply_identity_decisions(identities, decisions, {"LYX001", "LYX002"})
    assert list(out["individual_id"]) == ["LYX001", "LYX001", "LYX002"]
    assert len(skipped) == 1 and "two catalogue individuals" in skipped[0]


def test_a_distinct_pair_is_never_linked_by_paired_cameras():
    identities = identities_of(
        [("l", "NEW0001", "NEW0001"), ("r", "NEW0002", "NEW0002")]
    )
    linked, _ = link_flanks(identities, [("l", "r")])
    assert linked["individual_id"].nunique() == 1
    kept, _ = link_flanks(
        identities, [("l", "r")], frozenset({frozenset({"NEW0001", "NEW0002"})})
    )
    assert kept["individual_id"].nunique() == 2
