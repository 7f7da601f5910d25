"""Known individuals from folders or a table, with their flanks."""

import pytest

from conftest import jpeg_bytes, write
from trapline.identify.catalogue import CatalogueError, flank_from_name, read_catalogue


@pytest.mark.parametrize(
    "name,flank",
    [
        ("LYX001_left_1.jpg", "left"),
        ("LYX001-right.JPG", "right"),
        ("Tom_L_2.jpg", "left"),
        ("R.jpg", "right"),
        ("lynx_front.jpg", None),
        ("Carlos_2019.jpg", None),
    ],
)
def test_flank_from_a_name_token(name, flank):
    assert flank_from_name(name) == flank


def test_folders_give_individual_and_flank(tmp_path):
    write(tmp_path / "cat/LYX001/LYX001_left_1.jpg", jpeg_bytes())
    write(tmp_path / "cat/LYX001/LYX001_right_1.jpg", jpeg_bytes())
    write(tmp_path / "cat/Tom/portrait.jpg", jpeg_bytes())
    write(tmp_path / "cat/Tom/notes.txt", b"ignored")
    cat = read_catalogue(tmp_path / "cat")
    assert sorted(zip(cat["individual_id"], cat["flank"], strict=True)) == [
        ("LYX001", "left"),
        ("LYX001", "right"),
        ("Tom", "unknown"),
    ]
    assert (cat[["bbox_x", "bbox_y", "bbox_w", "bbox_h"]].values == [0, 0, 1, 1]).all()


def test_reference_ids_do_not_depend_on_where_the_catalogue_is(tmp_path):
    for place in ("here", "there/deeper"):
        write(tmp_path / place / "cat/LYX001/LYX001_left_1.jpg", jpeg_bytes())
        write(tmp_path / place / "cat/Tom/portrait.jpg", jpeg_bytes())
    here = read_catalogue(tmp_path / "here/cat")
    there = read_catalogue(tmp_path / "there/deeper/cat")
    assert here["ref_id"].tolist() == ["LYX001/LYX001_left_1.jpg", "Tom/portrait.jpg"]
    assert there["ref_id"].tolist() == here["ref_id"].tolist()
    assert here["path"].tolist() != there["path"].tolist()


def test_table_with_boxes_and_relative_paths(tmp_path):
    write(tmp_path / "img/a.jpg", jpeg_bytes())
    (tmp_path / "cat.csv").write_text(
        "path,individual_id,flank,bbox_x,bbox_y,bbox_w,bbox_h\n"
        "img/a.jpg,LYX9,Left,0.1,0.2,0.3,0.4\n"
    )
    cat = read_catalogue(tmp_path / "cat.csv")
    row = cat.iloc[0]
    assert (row["individual_id"], row["flank"], row["bbox_w"]) == ("LYX9", "left", 0.3)
    assert row["path"] == str((tmp_path / "img/a.jpg").resolve())
    assert row["ref_id"] == "img/a.jpg"


@pytest.mark.parametrize(
    "body,message",
    [
        ("path,flank\nimg/a.jpg,left\n", "missing column"),
        ("path,individual_id,flank\nimg/a.jpg,X,front\n", "line 2: flank 'front'"),
        ("path,individual_id\nimg/none.jpg,X\n", "not found"),
    ],
)
def test_table_errors_name_file_and_fix(tmp_path, body, message):
    write(tmp_path / "img/a.jpg", jpeg_bytes())
    (tmp_path / "cat.csv").write_text(body)
    with pytest.raises(CatalogueError, match=message):
        read_catalogue(tmp_path / "cat.csv")


def test_missing_catalogue_names_the_key(tmp_path):
    with pytest.raises(CatalogueError, match="identify.catalogue"):
        read_catalogue(tmp_path / "nowhere")
