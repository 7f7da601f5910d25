"""The decisions people feed back from the review: read, checked, applied."""

import pytest

from trapline.identify.decisions import (
    DecisionContext,
    DecisionsError,
    read_decisions,
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


HEADER = "crop_id,proposed_individual,decision,new_name,note\n"
SEASON = DecisionContext(
    species={f"c{k}": "Lynx lynx" for k in range(1, 9)} | {"f1": "Vulpes vulpes"},
    target_species=frozenset({"Lynx lynx"}),
    catalogue=frozenset({"LYX001", "LYX002"}),
    previous={"c1": "LYX001", "c2": "NEW0001", "c3": "NEW0002", "c4": "Tom"},
)


def decisions_file(tmp_path, *lines, header=HEADER):
    path = tmp_path / "decisions.csv"
    path.write_text(header + "".join(line + "\n" for line in lines))
    return path


def test_an_unquoted_comma_in_a_note_stays_in_the_note(tmp_path):
    path = decisions_file(
        tmp_path,
        "c1,LYX001,same,,limping, left hind leg",
        "c2,LYX002,different,,",
        "c3,LYX001,new,Ann,kitten, with its mother, at dusk",
    )
    got = read_decisions(path, SEASON)
    assert got.forced == {"c1": "LYX001", "c3": "Ann"}
    assert got.forbidden == {("c2", "LYX002"), ("c3", "LYX001")}


def test_a_comma_elsewhere_needs_quotes_and_names_file_and_line(tmp_path):
    header = "crop_id,proposed_individual,decision,note,new_name\n"
    path = decisions_file(
        tmp_path,
        "c1,LYX001,same,,",
        '"c2",LYX002,same,"a, b",',
        "c3,a,b,c,d,e",
        header=header,
    )
    with pytest.raises(DecisionsError) as error:
        read_decisions(path)
    assert str(error.value) == (
        f"decisions {path}, line 4: 6 fields but the header has 5; put a field "
        "that holds a comma in double quotes"
    )


def test_line_numbers_count_the_file_s_lines(tmp_path):
    path = decisions_file(
        tmp_path, "", 'c1,LYX001,same,,"a note', 'on two lines"', "", "c2,LYX001,mybe,,"
    )
    with pytest.raises(
        DecisionsError, match=r"decisions\.csv, line 6: decision 'mybe'"
    ):
        read_decisions(path)


@pytest.mark.parametrize(
    "lines,message",
    [
        (["c9,LYX001,same,,"], "line 2: crop_id 'c9' is not a crop of this season"),
        (["f1,LYX001,same,,"], "line 2: crop_id 'f1' is a crop of 'Vulpes vulpes'"),
        (
            ["c6,LYX001,unsure,,", "c5,LYX0O1,same,,"],
            "line 3: proposed_individual 'LYX0O1' is not a known individual .* "
            r"\(did you mean 'LYX001'\?\); correct it",
        ),
        (["c5,NEW0007,different,,"], "line 2: .*'NEW0007' is not a known individual"),
        (
            ["c5,LYX001,new,LYX002,"],
            "line 2: .*new_name 'LYX002' is a catalogue individual",
        ),
        (
            ["c5,LYX001,new,Tom,"],
            "line 2: .*new_name 'Tom' is already an individual of the previous run "
            r"\(identify/registry.parquet\); to put the crop with it write "
            "proposed_individual Tom and decision 'same'",
        ),
        (
            ["c5,LYX001,new,NEW0009,"],
            "line 2: .*'NEW0009' has the form of trapline's provisional",
        ),
        (
            ["c5,LYX001,new,LYX001,"],
            "line 2: .*the proposed individual itself; write 'same'",
        ),
        (
            ["c5,,different,,"],
            "line 2: .*'different' needs the proposed_individual it rejects",
        ),
        ([",LYX001,same,,"], "line 2: .*without a crop_id"),
    ],
)
def test_decisions_are_checked_against_the_season(tmp_path, lines, message):
    """A typo must stop the run, not found a new animal or vanish silently."""
    path = decisions_file(tmp_path, *lines)
    with pytest.raises(DecisionsError, match=f"decisions {path}, {message}"):
        read_decisions(path, SEASON)


@pytest.mark.parametrize(
    "second,earlier",
    [
        ("c5,LYX001,different,,", "same LYX001"),
        ("c5,LYX002,same,,", "same LYX001"),
        ("c5,LYX002,new,Ann,", "same LYX001"),
    ],
)
def test_a_crop_decided_two_ways_names_both_lines(tmp_path, second, earlier):
    path = decisions_file(tmp_path, "c5,LYX001,same,,", "c6,LYX002,same,,", second)
    with pytest.raises(
        DecisionsError,
        match=f"line 4: crop 'c5': .* contradicts line 2 \\({earlier}\\); keep the "
        "line that is right and delete the other",
    ):
        read_decisions(path, SEASON)


def test_a_file_applied_before_is_accepted_again(tmp_path):
    """The previous run gave Tom to c4 because this very file says so; the
    provisional ID c4 had is gone. Neither makes the file wrong."""
    path = decisions_file(
        tmp_path,
        "c4,NEW0005,new,Tom,",  # NEW0005 was retired by this naming
        "c6,LYX001,new,Tom,",  # a second crop of Tom, named the same way
        "c7,Tom,same,,",
        "c5,LYX001,same,,",
        "c5,LYX001,same,,",  # the same decision twice is one decision
        "c5,LYX002,different,,",
    )
    got = read_decisions(path, SEASON)
    assert got.forced == {"c4": "Tom", "c6": "Tom", "c7": "Tom", "c5": "LYX001"}
    assert got.forbidden == {("c4", "NEW0005"), ("c6", "LYX001"), ("c5", "LYX002")}


def test_every_problem_is_listed_at_once(tmp_path):
    path = decisions_file(
        tmp_path, "c9,LYX001,same,,", "c5,LYX001,sme,,", "c6,LYX003,same,,"
    )
    with pytest.raises(DecisionsError) as error:
        read_decisions(path, SEASON)
    lines = str(error.value).splitlines()
    assert lines[0] == f"decisions {path}: 3 problems to fix"
    assert [line.split(":")[0] for line in lines[1:]] == [
        "  line 2",
        "  line 3",
        "  line 4",
    ]


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "empty; it needs the header line crop_id,proposed_individual"),
        (
            b"crop_id;proposed_individual;decision;new_name;note\nc1;LYX001;same;;\n",
            "line 1: missing column.*separated by ';'",
        ),
        (HEADER.encode() + "c1,LYX001,same,,Männchen\n".encode("latin-1"), "CSV UTF-8"),
    ],
)
def test_a_file_that_is_not_a_decisions_csv_says_so(tmp_path, content, message):
    path = tmp_path / "decisions.csv"
    path.write_bytes(content)
    with pytest.raises(DecisionsError, match=f"decisions {path}.*{message}"):
        read_decisions(path, SEASON)


def test_a_spreadsheet_s_byte_order_mark_and_padding_are_ignored(tmp_path):
    path = tmp_path / "decisions.csv"
    path.write_bytes(
        b"\xef\xbb\xbf" + HEADER.replace("\n", ",,\r\n").encode()
        + b" c1 , LYX001 , Same ,,,,\r\n,,,,,,\r\n"
    )  # fmt: skip
    assert read_decisions(path, SEASON).forced == {"c1": "LYX001"}


# --- decisions about identities: merge, distinct, name ------------------------

IDENTITY_HEADER = (
    "crop_id,proposed_individual,decision,new_name,other_individual,note\n"
)


def test_identity_lines_become_merges_distinct_pairs_and_names(tmp_path):
    path = decisions_file(
        tmp_path,
        ",NEW0001,merge,,NEW0002,left and right of one lynx",
        ",NEW0001,distinct,,LYX002,",
        ",NEW0001,name,Ronja,,",
        "c1,LYX001,same,,,",
        header=IDENTITY_HEADER,
    )
    got = read_decisions(path, SEASON)
    assert got.merges == (("NEW0001", "NEW0002"),)
    assert got.distinct == {frozenset({"NEW0001", "LYX002"})}
    assert got.names == {"NEW0001": "Ronja"}
    assert got.forced == {"c1": "LYX001"}


def test_an_old_file_without_other_individual_still_applies(tmp_path):
    path = decisions_file(tmp_path, "c1,LYX001,same,,", "c4,LYX002,different,,")
    got = read_decisions(path, SEASON)
    assert got.forced == {"c1": "LYX001"} and got.merges == ()


@pytest.mark.parametrize(
    "lines,message",
    [
        ([",NEW0001,merge,,NEW0009,"], r"line 2: other_individual 'NEW0009' is not"),
        ([",NEW0001,merge,,,"], "line 2: decision 'merge' needs the other_individual"),
        ([",LYX001,merge,,LYX002,"], "two catalogue individuals"),
        ([",LYX001,name,Big,,"], "catalogue individual and keeps its name"),
        (["c2,NEW0001,merge,,NEW0002,"], "leave crop_id empty"),
        ([",NEW0001,merge,,NEW0001,"], "with itself"),
        ([",NEW0001,name,NEW0042,,"], "provisional IDs"),
        ([",NEW0001,name,LYX002,,"], "merge of NEW0001 with other_individual LYX002"),
        ([",NEW0001,name,Tom,,"], "already another individual"),
        (
            [",NEW0001,merge,,NEW0002,", ",NEW0002,distinct,,NEW0001,"],
            r"line 3: NEW0002 and NEW0001: distinct contradicts line 2",
        ),
        (
            [
                ",NEW0001,merge,,NEW0002,",
                ",NEW0002,name,Ronja,,",
                ",NEW0001,name,Kira,,",
            ],
            r"line 4: NEW0001 is named 'Kira' here but 'Ronja'",
        ),
    ],
)
def test_bad_identity_lines_name_the_line_and_the_fix(tmp_path, lines, message):
    path = decisions_file(tmp_path, *lines, header=IDENTITY_HEADER)
    with pytest.raises(DecisionsError, match=message):
        read_decisions(path, SEASON)


def test_a_merge_names_what_the_previous_run_merged(tmp_path):
    """After a merge the run's registry holds NEW0002's crops as NEW0001; the same
    file applied again still knows NEW0002 (its cluster)."""
    import dataclasses

    merged = dataclasses.replace(
        SEASON,
        previous={"c2": "Ronja", "c3": "Ronja"},
        clusters=frozenset({"NEW0001", "NEW0002"}),
        previous_names={"Ronja": frozenset({"NEW0001", "NEW0002"})},
    )
    path = decisions_file(
        tmp_path, ",NEW0001,merge,Ronja,NEW0002,", header=IDENTITY_HEADER
    )
    assert read_decisions(path, merged).names == {"NEW0001": "Ronja"}


def test_decided_lines_come_back_as_the_file_holds_them(tmp_path):
    """The review folder exports these again: unsure lines are no decision, and a
    note keeps its unquoted commas."""
    path = decisions_file(
        tmp_path,
        "c1,LYX001,same,,,seen twice, same spots",
        "c2,LYX002,unsure,,,",
        ",NEW0001,merge,,NEW0002,",
        header=IDENTITY_HEADER,
    )
    got = read_decisions(path, SEASON).lines
    assert [line["crop_id"] for line in got] == ["c1", ""]
    assert got[0]["note"] == "seen twice, same spots"
    assert got[1] == {
        "crop_id": "",
        "proposed_individual": "NEW0001",
        "decision": "merge",
        "new_name": "",
        "other_individual": "NEW0002",
        "note": "",
    }
